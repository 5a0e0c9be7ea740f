// Test classes run in parallel (xUnit's default: one collection per class). Nothing in the library reads libtorch's
// process-wide generator any more (a model is built by Seeds.Build from its own generator, training draws from the
// run's), and tests draw the data whose values they assert on from generators of their own.
//
// What is still process-wide and so still serial: the NBSSL_RUNS environment variable, which RunStoreTests sets and
// RepositoryRootTests reads; both are in the ProcessEnvironment collection below. A new test that sets an environment
// variable, the current folder or torch.set_num_threads goes into it too.

namespace NotebookSsl.Tests;

[CollectionDefinition(Name)]
public sealed class ProcessEnvironment
{
    public const string Name = "process environment (NBSSL_RUNS)";
}
