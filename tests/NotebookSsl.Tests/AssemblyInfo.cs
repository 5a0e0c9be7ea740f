// Runs are seeded through libtorch's process-wide generator (Seeds.Set before a model is built); tests
// running in parallel would draw from it in between and make seeded runs differ. One test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
