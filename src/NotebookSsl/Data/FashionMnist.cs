namespace NotebookSsl.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 70,000 grey 28x28 images of 10 kinds of clothing, in IDX files.
/// <see cref="Load"/> looks in a given folder, then <c>data/fashion-mnist</c> in the repository, then
/// <c>/usr/share/datasets/fashion-mnist</c> (Debian's dataset-fashion-mnist package).
/// </summary>
public static class FashionMnist
{
    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Where the dataset's authors serve its files.</summary>
    public const string BaseUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>Debian's dataset-fashion-mnist package installs the gzipped IDX files here.</summary>
    public const string SystemFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The four files with the MD5 sums published in the dataset's README.</summary>
    public static readonly IReadOnlyDictionary<string, string> Md5 = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        ["train-labels-idx1-ubyte.gz"] = "25c81989df183df01b3e8a0aad5dffbe",
        ["t10k-images-idx3-ubyte.gz"] = "bef4ecab320f06d8554ea6380940ec79",
        ["t10k-labels-idx1-ubyte.gz"] = "bb300cfdad3c16e7a12a480ee83cd310",
    };

    /// <summary>File stems of a split: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte") or the t10k ones.</summary>
    public static (string Images, string Labels) FileStems(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        DatasetSplit.Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        _ => throw new ArgumentOutOfRangeException(nameof(split)),
    };

    /// <summary>
    /// The folders searched: only <paramref name="root"/> when one is named (a named root is used or the load
    /// fails: no silent fallback to other data); otherwise data/fashion-mnist, then /usr/share/datasets/fashion-mnist.
    /// </summary>
    public static IReadOnlyList<string> SearchFolders(string? root = null)
    {
        if (root is not null) return [Path.GetFullPath(root)];
        var folders = new List<string>();
        if (DataPaths.RepoData("fashion-mnist") is { } repo) folders.Add(repo);
        folders.Add(SystemFolder);
        return folders;
    }

    /// <summary>The image and label files of a split (plain or .gz), from the first folder that has both; null when none does.</summary>
    public static (string Images, string Labels)? Locate(DatasetSplit split, string? root = null)
    {
        var (imagesStem, labelsStem) = FileStems(split);
        foreach (var folder in SearchFolders(root))
        {
            var images = FindEither(folder, imagesStem);
            var labels = FindEither(folder, labelsStem);
            if (images is not null && labels is not null) return (images, labels);
        }
        return null;
    }

    /// <summary>True when a split can be found without downloading.</summary>
    public static bool IsAvailable(DatasetSplit split = DatasetSplit.Train, string? root = null) => Locate(split, root) is not null;

    /// <summary>
    /// Loads a split: images float32 [N, 1, 28, 28] in [0, 1] (N = 60,000 train, 10,000 test), labels int64 [N].
    /// Throws <see cref="FileNotFoundException"/> listing the folders searched when the files are nowhere.
    /// </summary>
    public static ImageDataset Load(DatasetSplit split = DatasetSplit.Train, string? root = null)
    {
        var files = Locate(split, root);
        if (files is null)
        {
            var (i, l) = FileStems(split);
            throw new FileNotFoundException(
                $"Fashion-MNIST {split}: {i}[.gz] and {l}[.gz] are not in "
                + (root is null ? $"any of: {string.Join(", ", SearchFolders(root))}. " : $"{Path.GetFullPath(root)}, the data root named (no other folder is searched). ")
                + "Install Debian's dataset-fashion-mnist package or call FashionMnist.Download(folder).");
        }
        return Idx.LoadDataset(files.Value.Images, files.Value.Labels, ClassNames, $"Fashion-MNIST {split.ToString().ToLowerInvariant()}");
    }

    /// <summary>
    /// The first <paramref name="trainImages"/> images of the train split and the first <paramref name="testImages"/> of the
    /// test split (all of a split when it is smaller): the subsets a study pretrains, probes and scores on.
    /// </summary>
    public static (ImageDataset Train, ImageDataset Test) LoadSubsets(int trainImages, int testImages, string? root = null)
    {
        if (trainImages < 1 || testImages < 1) throw new ArgumentOutOfRangeException(trainImages < 1 ? nameof(trainImages) : nameof(testImages), "a subset needs at least one image");
        using var train = Load(DatasetSplit.Train, root);
        using var test = Load(DatasetSplit.Test, root);
        return (train.Take(Math.Min(trainImages, train.Count)), test.Take(Math.Min(testImages, test.Count)));
    }

    /// <summary>Downloads the four gzipped files into <paramref name="root"/>, each checked against its published MD5.</summary>
    public static void Download(string root, string baseUrl = BaseUrl)
    {
        foreach (var (file, md5) in Md5)
            Downloader.Download(new Uri(new Uri(baseUrl), file), Path.Combine(root, file), Checksum.Md5(md5));
    }

    static string? FindEither(string folder, string stem)
    {
        foreach (var name in new[] { stem, stem + ".gz" })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
