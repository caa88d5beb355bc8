using System.Security.Cryptography;

namespace Dcgan.Nn.Data;

/// <summary>One file of a download and its SHA-256 (lower-case hex).</summary>
public sealed record DownloadFile(string Name, string Sha256);

/// <summary>Where a data set's files come from. Records: use <c>with</c> to point at another mirror or table.</summary>
public sealed record DownloadSource(string Dataset, Uri BaseUrl, IReadOnlyList<DownloadFile> Files);

/// <summary>
/// Fetches the four IDX .gz files of MNIST or Fashion-MNIST (training and test images and labels) over
/// HTTP(S) and verifies each against its SHA-256 before it appears under its final name: the body is streamed
/// to a temporary file in the target folder, hashed on the way, and renamed only if the hash matches; on any
/// failure the temporary file is deleted and a <see cref="DatasetException"/> names the URL. Files already
/// present with the right hash are not fetched again.
///
/// The SHA-256 values are the published ones for the files as served by the mirrors below (the same values
/// appear in many independent projects; upstream pages publish MD5 only — torchvision's MD5s are noted).
/// </summary>
public static class MnistDownloader
{
    /// <summary>Refuse bodies larger than this (the largest real file, Fashion-MNIST train images, is 26 MB).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>MNIST (Y. LeCun, C. Cortes, C. Burges) from PyTorch's mirror. MD5s: f68b3c2d…, d53e105e…, 9fb629c4…, ec29112d….</summary>
    public static readonly DownloadSource Mnist = new("mnist", new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
    [
        new("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        new("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        new("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        new("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ]);

    /// <summary>Fashion-MNIST (Zalando Research) from its S3 site. MD5s: 8d4fb7e6…, 25c81989…, bef4ecab…, bb300cfd….</summary>
    public static readonly DownloadSource FashionMnist = new("fashion-mnist", new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
    [
        new("train-images-idx3-ubyte.gz", "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"),
        new("train-labels-idx1-ubyte.gz", "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"),
        new("t10k-images-idx3-ubyte.gz", "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"),
        new("t10k-labels-idx1-ubyte.gz", "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"),
    ]);

    /// <summary>The default source for "mnist" or "fashion-mnist".</summary>
    public static DownloadSource For(string dataset) => dataset switch
    {
        "mnist" => Mnist,
        "fashion-mnist" => FashionMnist,
        _ => throw new DatasetException($"--download: data set '{dataset}' has no download; expected mnist or fashion-mnist"),
    };

    public static IReadOnlyList<string> Download(DownloadSource source, string targetDirectory, HttpClient? client = null) =>
        DownloadAsync(source, targetDirectory, client).GetAwaiter().GetResult();

    /// <summary>Downloads every file of <paramref name="source"/> into <paramref name="targetDirectory"/>; returns their paths.</summary>
    public static async Task<IReadOnlyList<string>> DownloadAsync(DownloadSource source, string targetDirectory,
                                                                  HttpClient? client = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(targetDirectory);
        bool ownClient = client == null;
        client ??= new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        try
        {
            var paths = new List<string>();
            foreach (var file in source.Files)
            {
                string path = Path.Combine(targetDirectory, file.Name);
                if (!File.Exists(path) || !string.Equals(await HashFileAsync(path, cancel), file.Sha256, StringComparison.OrdinalIgnoreCase))
                    await FetchAsync(client, new Uri(source.BaseUrl, file.Name), path, file.Sha256, cancel);
                paths.Add(path);
            }
            return paths;
        }
        finally
        {
            if (ownClient)
                client.Dispose();
        }
    }

    static async Task FetchAsync(HttpClient client, Uri url, string path, string expectedSha256, CancellationToken cancel)
    {
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.part");
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode)
                throw new DatasetException($"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}; expected 200 OK");
            if (response.Content.Headers.ContentLength > MaxFileBytes)
                throw new DatasetException($"{url}: {response.Content.Headers.ContentLength} bytes announced; expected at most {MaxFileBytes}");

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var body = await response.Content.ReadAsStreamAsync(cancel))
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, cancel)) > 0)
                {
                    total += n;
                    if (total > MaxFileBytes)
                        throw new DatasetException($"{url}: body exceeds {MaxFileBytes} bytes; expected a file of at most that size");
                    hash.AppendData(buffer, 0, n);
                    await output.WriteAsync(buffer.AsMemory(0, n), cancel);
                }
                await output.FlushAsync(cancel);
            }

            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
                throw new DatasetException($"{url}: SHA-256 {actual} does not match the known {expectedSha256.ToLowerInvariant()}; download corrupt or mirror changed, nothing was written");
            File.Move(temp, path, overwrite: true);
        }
        catch (HttpRequestException e)
        {
            throw new DatasetException($"{url}: download failed ({e.Message}); expected the file to be reachable", e);
        }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new DatasetException($"{url}: download timed out; expected the file within {client.Timeout}", e);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    static async Task<string> HashFileAsync(string path, CancellationToken cancel)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancel));
    }
}
