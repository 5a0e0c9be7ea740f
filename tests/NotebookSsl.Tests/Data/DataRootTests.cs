using NotebookSsl.Data;

namespace NotebookSsl.Tests.Data;

public class DataRootTests
{
    [Fact]
    public void A_named_fashion_mnist_root_without_its_files_fails_naming_it_and_nothing_else()
    {
        using var dir = new TempDir();
        Assert.Equal([dir.Path], FashionMnist.SearchFolders(dir.Path));
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(DatasetSplit.Test, dir.Path));
        Assert.Contains($"not in {dir.Path}, the data root named", e.Message);
        Assert.DoesNotContain(FashionMnist.SystemFolder, e.Message);
        Assert.Null(FashionMnist.Locate(DatasetSplit.Test, dir.Path));   // even where the system package is installed
    }

    [Fact]
    public void A_named_cifar_root_without_its_files_fails_naming_it()
    {
        using var dir = new TempDir();
        Assert.Equal([dir.Path], Cifar10.SearchFolders(dir.Path));
        var e = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(DatasetSplit.Test, dir.Path));
        Assert.Contains($"not in {dir.Path}, the data root named", e.Message);
    }
}
