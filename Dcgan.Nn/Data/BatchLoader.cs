namespace Dcgan.Nn.Data;

/// <summary>
/// One batch of images in host memory, owned by a <see cref="BatchLoader"/> and lent to its consumer until
/// <see cref="BatchLoader.Return"/>. Reused: never keep a reference after returning it.
/// </summary>
public sealed class Batch
{
    /// <summary>BatchSize × C × S × S floats, NCHW, values in [-1, 1].</summary>
    public float[] Data { get; }

    /// <summary>Data-set index of each image in the batch, in batch order.</summary>
    public int[] Indices { get; }

    public int Epoch { get; internal set; }

    /// <summary>Batch number within the epoch, 0 … BatchesPerEpoch−1.</summary>
    public int Index { get; internal set; }

    internal BatchLoader Owner { get; }
    internal long Sequence;
    internal int Generation;
    internal bool Held;

    internal Batch(BatchLoader owner, int batchSize, int imageLength)
    {
        Owner = owner;
        Data = new float[checked(batchSize * imageLength)];
        Indices = new int[batchSize];
    }
}

public sealed record BatchLoaderOptions
{
    /// <summary>Background threads, each filling one whole batch at a time.</summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount - 1, 1, 8);

    /// <summary>Batches ready or being filled ahead of the consumer; 0 means 2 × Workers.</summary>
    public int Prefetch { get; init; }

    /// <summary>Where the first <see cref="BatchLoader.Next"/> starts (for resuming a run exactly).</summary>
    public int StartEpoch { get; init; }
    public int StartBatch { get; init; }
}

/// <summary>
/// Fills batches of images on background threads, in a shuffled order per epoch, ahead of the consumer.
///
/// Order: epoch e visits the data set in the permutation <see cref="EpochOrder"/>(count, seed, e) — a
/// Fisher–Yates shuffle driven by SplitMix64 seeded from (seed, e) alone — cut into consecutive batches.
/// The last Count mod BatchSize images of each epoch's permutation are dropped (PyTorch's drop_last=True),
/// so every batch is full and every image appears at most once per epoch (exactly once when BatchSize
/// divides Count); which images are dropped changes from epoch to epoch.
/// Batches come out of <see cref="Next"/> in order — (e, 0), (e, 1), …, (e, last), (e+1, 0), … — forever;
/// the caller decides when to stop. Batch (e, b) holds the same images in the same order whatever the
/// thread count, timing, or restart: <see cref="BatchLoaderOptions.StartEpoch"/>/StartBatch or
/// <see cref="Seek"/> resume exactly.
///
/// Memory: Prefetch + 2 <see cref="Batch"/> buffers are allocated up front (<see cref="BuffersAllocated"/>)
/// and recycled; nothing is allocated per batch afterwards. The consumer may hold up to 2 batches at once
/// (e.g. one uploading while the next waits); workers stall, never allocate, when all buffers are in use.
/// A worker's exception is rethrown by the next <see cref="Next"/> as a <see cref="DatasetException"/>.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    /// <summary>Batches the consumer may hold at once.</summary>
    public const int MaxHeld = 2;

    readonly IImageDataset dataset;
    readonly long seed;
    readonly int imageLength;
    readonly Thread[] workers;

    // Everything below is guarded by `gate`.
    readonly object gate = new();
    readonly Batch[] free;
    int freeCount;
    readonly Batch?[] ready;          // ready[s % PoolSize] holds sequence s once filled
    long nextClaim, nextDeliver;      // sequence numbers, counted from the start position
    int startEpoch, startBatch, generation, held;
    readonly int[] order;             // permutation of orderEpoch
    int orderEpoch = -1;
    Exception? fault;
    bool disposed;
    long buffersAllocated;

    public IImageDataset Dataset => dataset;
    public int BatchSize { get; }
    public int BatchesPerEpoch { get; }

    /// <summary>Images left out of each epoch: Count mod BatchSize.</summary>
    public int DroppedPerEpoch => dataset.Count % BatchSize;

    public int PoolSize { get; }

    /// <summary>Batch buffers allocated over the loader's life; stays at <see cref="PoolSize"/>.</summary>
    public long BuffersAllocated => Interlocked.Read(ref buffersAllocated);

    public BatchLoader(IImageDataset dataset, int batchSize, long seed, BatchLoaderOptions? options = null)
    {
        options ??= new BatchLoaderOptions();
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        if (dataset.Count < batchSize)
            throw new DatasetException($"{dataset.Name}: {dataset.Count} images, fewer than one batch of {batchSize}; expected at least {batchSize} (incomplete batches are dropped)");
        if (options.Workers <= 0 || options.Prefetch < 0)
            throw new ArgumentException($"workers must be positive and prefetch non-negative (got {options.Workers}, {options.Prefetch})");

        this.dataset = dataset;
        this.seed = seed;
        BatchSize = batchSize;
        BatchesPerEpoch = dataset.Count / batchSize;
        imageLength = dataset.ImageLength();
        order = new int[dataset.Count];
        CheckPosition(options.StartEpoch, options.StartBatch);
        startEpoch = options.StartEpoch;
        startBatch = options.StartBatch;

        PoolSize = (options.Prefetch == 0 ? 2 * options.Workers : options.Prefetch) + MaxHeld;
        free = new Batch[PoolSize];
        ready = new Batch?[PoolSize];
        for (int i = 0; i < PoolSize; i++)
        {
            free[freeCount++] = new Batch(this, batchSize, imageLength);
            buffersAllocated++;
        }

        workers = new Thread[options.Workers];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = new Thread(WorkerLoop) { IsBackground = true, Name = $"dcgan-data-{w}" };
            workers[w].Start();
        }
    }

    /// <summary>
    /// The visiting order of epoch <paramref name="epoch"/>: a permutation of 0..count−1 that depends only on
    /// (count, seed, epoch). Batch b of the epoch is order[b·B .. b·B+B−1].
    /// </summary>
    public static void EpochOrder(int count, long seed, int epoch, Span<int> order)
    {
        for (int i = 0; i < count; i++)
            order[i] = i;
        var rng = DataRng.For(seed, epoch);
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    public static int[] EpochOrder(int count, long seed, int epoch)
    {
        var order = new int[count];
        EpochOrder(count, seed, epoch, order);
        return order;
    }

    /// <summary>The next batch in order; blocks until a worker has filled it. Hand it back with <see cref="Return"/>.</summary>
    public Batch Next()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (held >= MaxHeld)
                throw new InvalidOperationException($"the consumer already holds {held} batches; return one before asking for the next");
            while (true)
            {
                var batch = ready[nextDeliver % PoolSize];
                if (batch != null && batch.Sequence == nextDeliver)
                {
                    ready[nextDeliver % PoolSize] = null;
                    nextDeliver++;
                    held++;
                    batch.Held = true;
                    return batch;
                }
                // Batches before the failed one are still handed out; the failed one throws.
                if (fault != null)
                    throw new DatasetException(fault is DatasetException ? fault.Message : $"{dataset.Name}: reading a batch failed ({fault.GetType().Name}: {fault.Message})", fault);
                Monitor.Wait(gate);
                ObjectDisposedException.ThrowIf(disposed, this);
            }
        }
    }

    /// <summary>Gives a batch from <see cref="Next"/> back for reuse.</summary>
    public void Return(Batch batch)
    {
        lock (gate)
        {
            if (batch.Owner != this || !batch.Held)
                throw new InvalidOperationException("batch was not lent by this loader, or was already returned");
            batch.Held = false;
            held--;
            free[freeCount++] = batch;
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>
    /// Restarts the stream so the next <see cref="Next"/> returns batch (epoch, batchIndex). Batches already
    /// prefetched are discarded; batches the consumer holds stay valid until returned.
    /// </summary>
    public void Seek(int epoch, int batchIndex)
    {
        CheckPosition(epoch, batchIndex);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            generation++;
            for (int i = 0; i < PoolSize; i++)
            {
                if (ready[i] is Batch stale)
                {
                    free[freeCount++] = stale;
                    ready[i] = null;
                }
            }
            nextClaim = nextDeliver = 0;
            startEpoch = epoch;
            startBatch = batchIndex;
            fault = null;
            Monitor.PulseAll(gate);
        }
    }

    void CheckPosition(int epoch, int batchIndex)
    {
        if (epoch < 0 || batchIndex < 0 || batchIndex >= BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(batchIndex), $"position ({epoch}, {batchIndex}) outside epochs ≥ 0 × batches 0..{BatchesPerEpoch - 1}");
    }

    void WorkerLoop()
    {
        while (true)
        {
            Batch batch;
            lock (gate)
            {
                while (!disposed && (freeCount == 0 || fault != null))
                    Monitor.Wait(gate);
                if (disposed)
                    return;

                // Claim the next sequence number and a buffer together, so every claimed batch can finish.
                batch = free[--freeCount];
                long sequence = nextClaim++;
                long absolute = startBatch + sequence;
                int epoch = checked(startEpoch + (int)(absolute / BatchesPerEpoch));
                int index = (int)(absolute % BatchesPerEpoch);
                if (epoch != orderEpoch)
                {
                    EpochOrder(dataset.Count, seed, epoch, order);
                    orderEpoch = epoch;
                }
                order.AsSpan(index * BatchSize, BatchSize).CopyTo(batch.Indices);
                batch.Epoch = epoch;
                batch.Index = index;
                batch.Sequence = sequence;
                batch.Generation = generation;
            }

            Exception? error = null;
            try
            {
                for (int i = 0; i < BatchSize; i++)
                    dataset.ReadImage(batch.Indices[i], batch.Data.AsSpan(i * imageLength, imageLength));
            }
            catch (Exception e)
            {
                error = e;
            }

            lock (gate)
            {
                if (batch.Generation != generation || error != null)
                {
                    if (batch.Generation == generation)
                        fault ??= error;
                    free[freeCount++] = batch;
                }
                else
                {
                    ready[batch.Sequence % PoolSize] = batch;
                }
                Monitor.PulseAll(gate);
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            Monitor.PulseAll(gate);
        }
        foreach (var worker in workers)
            worker.Join();
    }
}
