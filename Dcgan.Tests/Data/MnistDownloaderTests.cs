using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Dcgan.Nn.Data;

namespace Dcgan.Tests.Data;

/// <summary>The downloader against a loopback HTTP server on 127.0.0.1 (no internet needed).</summary>
public sealed class MnistDownloaderTests
{
    string dir = "";
    HttpListener listener = null!;
    Uri baseUrl = null!;
    readonly Dictionary<string, byte[]> served = [];
    int requests;

    [SetUp]
    public void SetUp()
    {
        dir = DataFiles.NewFolder("download");
        served.Clear();             // NUnit reuses one fixture instance for all its tests
        requests = 0;
        // Pick a free port, then serve http://127.0.0.1:PORT/.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        baseUrl = new Uri($"http://127.0.0.1:{port}/mirror/");
        listener = new HttpListener();
        listener.Prefixes.Add(baseUrl.ToString());
        listener.Start();
        _ = Task.Run(Serve);
    }

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) { return; }
            Interlocked.Increment(ref requests);
            string name = context.Request.Url!.Segments[^1];
            if (served.TryGetValue(name, out var body))
            {
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
            context.Response.Close();
        }
    }

    [TearDown]
    public void TearDown()
    {
        listener.Stop();
        listener.Close();
        DataFiles.Delete(dir);
    }

    static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    DownloadSource Source(params (string name, byte[] body, string sha)[] files)
    {
        foreach (var f in files)
            served[f.name] = f.body;
        return new DownloadSource("test", baseUrl, [.. files.Select(f => new DownloadFile(f.name, f.sha))]);
    }

    [Test]
    public void GoodFilesAreVerifiedWrittenAndNotFetchedTwice()
    {
        var (images, labels) = DataFiles.WriteIdxPair(dir, DataFiles.PatternPixels(4, 3, 3), 4, 3, 3, [1, 2, 3, 4], gzip: true);
        byte[] imageBytes = File.ReadAllBytes(images), labelBytes = File.ReadAllBytes(labels);
        File.Delete(images);
        File.Delete(labels);
        var source = Source(("train-images-idx3-ubyte.gz", imageBytes, Sha256(imageBytes)),
                            ("train-labels-idx1-ubyte.gz", labelBytes, Sha256(labelBytes)));

        var paths = MnistDownloader.Download(source, dir);
        Assert.That(paths.Select(File.ReadAllBytes), Is.EqualTo(new[] { imageBytes, labelBytes }));
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz" }));
        Assert.That(requests, Is.EqualTo(2));

        MnistDownloader.Download(source, dir);
        Assert.That(requests, Is.EqualTo(2), "files with the right hash are kept");

        // And the factory's --download path opens them.
        using var ds = DatasetFactory.Open("mnist", dir, 3, options: new DatasetOptions { Download = true, DownloadFrom = source });
        Assert.That(ds.Count, Is.EqualTo(4));
    }

    [Test]
    public void CorruptedFileIsRejectedAndNothingIsLeftBehind()
    {
        byte[] body = [1, 2, 3, 4, 5];
        string expected = Sha256([1, 2, 3, 4, 6]);
        var source = Source(("train-images-idx3-ubyte.gz", body, expected));

        var e = Assert.Throws<DatasetException>(() => MnistDownloader.Download(source, dir))!;
        Assert.That(e.Message, Is.EqualTo($"{baseUrl}train-images-idx3-ubyte.gz: SHA-256 {Sha256(body)} does not match the known {expected}; download corrupt or mirror changed, nothing was written"));
        Assert.That(Directory.GetFileSystemEntries(dir), Is.Empty);
    }

    [Test]
    public void HttpErrorNamesTheUrl()
    {
        var source = new DownloadSource("test", baseUrl, [new DownloadFile("absent.gz", new string('0', 64))]);
        var e = Assert.Throws<DatasetException>(() => MnistDownloader.Download(source, dir))!;
        Assert.That(e.Message, Does.StartWith($"{baseUrl}absent.gz: HTTP 404"));
        Assert.That(Directory.GetFileSystemEntries(dir), Is.Empty);
    }

    [Test]
    public void DefaultTablesPointAtTheOfficialMirrors()
    {
        Assert.That(MnistDownloader.Mnist.BaseUrl.ToString(), Is.EqualTo("https://ossci-datasets.s3.amazonaws.com/mnist/"));
        Assert.That(MnistDownloader.FashionMnist.BaseUrl.ToString(), Is.EqualTo("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"));
        foreach (var file in MnistDownloader.Mnist.Files.Concat(MnistDownloader.FashionMnist.Files))
            Assert.That(file.Sha256, Does.Match("^[0-9a-f]{64}$"));
    }
}
