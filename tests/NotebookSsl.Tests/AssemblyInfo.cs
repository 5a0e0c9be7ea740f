// One test at a time. Seeds no longer need it: nothing in the library reads libtorch's process-wide generator (a model
// is built by Seeds.Build from its own generator, training draws from the run's), tests draw the data they assert on
// from generators of their own, and the suite passes with parallel test collections. But it does not pass reliably:
// TorchSharp 0.107 passes temporary Scalars (every `a + b`, AdamW's add_(…, alpha)) to libtorch by handle without
// keeping them alive, so a GC triggered by another thread can finalize one while libtorch still reads it ("Expected
// false to be true … toFloat at Scalar.h:140"). With test classes in parallel that failed 1-2 tests per full run (two
// runs); a 10-s loop of `a + b` on three threads beside a thread allocating garbage reproduces it. Parallel classes also
// gave no speed on this 2-core machine once the ParallelRuns tests were in (53-61 s against 48 s serial).
//
// Tests that use threads on purpose (SeedsTests, ParallelRunsTests) still run TorchSharp on two threads at once inside
// themselves, as ParallelRuns does in a notebook: they share that exposure.
//
// If TorchSharp is fixed and this attribute removed: RunStoreTests sets $NBSSL_RUNS, which RepositoryRootTests reads;
// both are in the ProcessEnvironment collection below, with any test that sets an environment variable, the current
// folder or torch.set_num_threads.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace NotebookSsl.Tests;

[CollectionDefinition(Name)]
public sealed class ProcessEnvironment
{
    public const string Name = "process environment (NBSSL_RUNS)";
}
