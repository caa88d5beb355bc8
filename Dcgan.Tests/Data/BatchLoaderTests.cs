using Dcgan.Nn.Data;

namespace Dcgan.Tests.Data;

public sealed class BatchLoaderTests
{
    /// <summary>Image i is filled with the value i, so a batch shows which images it holds.</summary>
    sealed class IndexDataset(int count, int size = 2) : IImageDataset
    {
        public string Name => "index";
        public int Count => count;
        public int Channels => 1;
        public int ImageSize => size;
        public IReadOnlyList<byte>? Labels => null;
        public int FailAt { get; set; } = -1;

        public void ReadImage(int index, Span<float> chw)
        {
            if (index == FailAt)
                throw new DatasetException($"index: image {index} is broken; expected a readable image");
            chw[..(size * size)].Fill(index);
        }

        public void Dispose() { }
    }

    static List<(int epoch, int index, int[] images)> Take(BatchLoader loader, int batches)
    {
        var list = new List<(int, int, int[])>();
        for (int k = 0; k < batches; k++)
        {
            var batch = loader.Next();
            int length = loader.Dataset.ImageLength();
            for (int i = 0; i < loader.BatchSize; i++)
                Assert.That(batch.Data[i * length], Is.EqualTo(batch.Indices[i]), "data matches indices");
            list.Add((batch.Epoch, batch.Index, (int[])batch.Indices.Clone()));
            loader.Return(batch);
        }
        return list;
    }

    [Test]
    public void OrderDependsOnlyOnSeedAndEpoch()
    {
        Assert.That(BatchLoader.EpochOrder(50, 7, 3), Is.EqualTo(BatchLoader.EpochOrder(50, 7, 3)));
        Assert.That(BatchLoader.EpochOrder(50, 7, 3), Is.Not.EqualTo(BatchLoader.EpochOrder(50, 7, 4)));
        Assert.That(BatchLoader.EpochOrder(50, 7, 3), Is.Not.EqualTo(BatchLoader.EpochOrder(50, 8, 3)));
        Assert.That(BatchLoader.EpochOrder(50, 7, 3).Order(), Is.EqualTo(Enumerable.Range(0, 50)));
        Assert.That(BatchLoader.EpochOrder(50, 7, 0), Is.Not.EqualTo(Enumerable.Range(0, 50)), "shuffled");
    }

    [Test]
    public void BatchesAreTheSameWhateverTheWorkerCount()
    {
        var ds = new IndexDataset(37);
        using var one = new BatchLoader(ds, 5, seed: 11, new BatchLoaderOptions { Workers = 1, Prefetch = 1 });
        using var four = new BatchLoader(ds, 5, seed: 11, new BatchLoaderOptions { Workers = 4, Prefetch = 6 });
        var a = Take(one, 30);
        var b = Take(four, 30);
        Assert.That(b.Select(x => (x.epoch, x.index)), Is.EqualTo(a.Select(x => (x.epoch, x.index))));
        for (int k = 0; k < a.Count; k++)
            Assert.That(b[k].images, Is.EqualTo(a[k].images), $"batch {k}");
    }

    [Test]
    public void EveryImageOncePerEpochAndTheRemainderDropped()
    {
        // 37 images, batch 5: 7 batches per epoch, 2 images dropped per epoch.
        var ds = new IndexDataset(37);
        using var loader = new BatchLoader(ds, 5, seed: 3, new BatchLoaderOptions { Workers = 3 });
        Assert.That((loader.BatchesPerEpoch, loader.DroppedPerEpoch), Is.EqualTo((7, 2)));
        var batches = Take(loader, 21);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var inEpoch = batches.Where(b => b.epoch == epoch).ToList();
            Assert.That(inEpoch.Select(b => b.index), Is.EqualTo(Enumerable.Range(0, 7)));
            var images = inEpoch.SelectMany(b => b.images).ToList();
            Assert.That(images, Is.Unique);
            Assert.That(images, Is.EqualTo(BatchLoader.EpochOrder(37, 3, epoch)[..35]));
        }

        // When the batch size divides the count, every image appears exactly once.
        using var exact = new BatchLoader(new IndexDataset(20), 4, seed: 3);
        var all = Take(exact, 5).SelectMany(b => b.images).Order();
        Assert.That(all, Is.EqualTo(Enumerable.Range(0, 20)));
    }

    [Test]
    public void RestartAtEpochAndBatchResumesExactly()
    {
        var ds = new IndexDataset(23);
        using var full = new BatchLoader(ds, 4, seed: 99, new BatchLoaderOptions { Workers = 2 });
        var reference = Take(full, 5 * 4);      // 5 batches per epoch, 4 epochs

        // Fresh loader starting at (2, 3) = the 13th batch.
        using var resumed = new BatchLoader(ds, 4, seed: 99, new BatchLoaderOptions { Workers = 3, StartEpoch = 2, StartBatch = 3 });
        var tail = Take(resumed, 7);
        for (int k = 0; k < 7; k++)
        {
            Assert.That((tail[k].epoch, tail[k].index), Is.EqualTo((reference[13 + k].epoch, reference[13 + k].index)));
            Assert.That(tail[k].images, Is.EqualTo(reference[13 + k].images));
        }

        // Seek on a running loader (with prefetched batches in flight) does the same.
        full.Seek(1, 4);
        var sought = Take(full, 3);
        for (int k = 0; k < 3; k++)
            Assert.That(sought[k].images, Is.EqualTo(reference[9 + k].images));
    }

    [Test]
    public void NoBatchBufferOrConsumerAllocationInSteadyState()
    {
        using var ds = DatasetFactory.Open("fake", null, 8, options: new DatasetOptions { FakeCount = 64 });
        using var loader = new BatchLoader(ds, 8, seed: 1, new BatchLoaderOptions { Workers = 2, Prefetch = 3 });
        Assert.That(loader.PoolSize, Is.EqualTo(3 + BatchLoader.MaxHeld));
        for (int k = 0; k < 16; k++)            // warm up: threads, monitors, JIT
            loader.Return(loader.Next());

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 200; k++)           // 25 epochs
        {
            var batch = loader.Next();
            loader.Return(batch);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(loader.BuffersAllocated, Is.EqualTo(loader.PoolSize));
        Assert.That(allocated, Is.Zero, "Next/Return allocate nothing on the consumer's thread");
    }

    [Test]
    public void ConsumerMayHoldTwoBatchesButNotThree()
    {
        using var loader = new BatchLoader(new IndexDataset(16), 2, seed: 0);
        var a = loader.Next();
        var b = loader.Next();
        Assert.That(b.Index, Is.EqualTo(a.Index + 1));
        Assert.Throws<InvalidOperationException>(() => loader.Next());
        loader.Return(a);
        Assert.Throws<InvalidOperationException>(() => loader.Return(a), "double return");
        Assert.That(loader.Next().Index, Is.EqualTo(b.Index + 1));
    }

    [Test]
    public void WorkerFailureSurfacesAsDatasetException()
    {
        var ds = new IndexDataset(10) { FailAt = BatchLoader.EpochOrder(10, 5, 0)[4] };   // in batch 2 of epoch 0
        using var loader = new BatchLoader(ds, 2, seed: 5);
        Take(loader, 2);
        var e = Assert.Throws<DatasetException>(() => loader.Next())!;
        Assert.That(e.Message, Does.Contain("is broken"));
    }

    [Test]
    public void DataSetSmallerThanOneBatchIsAnError()
    {
        var e = Assert.Throws<DatasetException>(() => new BatchLoader(new IndexDataset(3), 4, seed: 0))!;
        Assert.That(e.Message, Does.Contain("3 images, fewer than one batch of 4"));
    }
}
