// One GAN training iteration on the device, for any recipe (GanRecipe): k critic steps, then one generator step.
// With the dcgan recipe (bce, one critic step, Adam) this is exactly pytorch/examples `dcgan/main.py`:
//
//   critic step (k times; each on a fresh real batch and fresh noise):
//     [wgan] clip every D parameter to [−c, c] (before each critic step, as the official WGAN code)
//     (1) D on the real batch:              loss_real = objective's real term   score D(x)
//         [r1] + (γ/2)·mean ‖∇ₓD(x)‖² on that same forward (every k-th critic step, gradient ×k when lazy)
//     (2) D on G(z), detached:              loss_fake = objective's fake term   score D(G(z))₁
//         [wgan-gp] + λ·mean (‖∇D(x̂)‖ − 1)² at x̂ = x + α(G(z) − x), one α ~ U(0, 1] per sample
//         optimizer step on D (its gradients accumulated over both batches and the penalty; the step clears them)
//     The penalties' parameter gradients come from a hand-written double backward (Models/CriticPenalty.cs); their
//     value is logged apart from Loss_D (so −Loss_D stays WGAN's Wasserstein estimate).
//   generator step:
//     (3) G through the updated D, on the G(z) of the last critic step:  loss_G   score D(G(z))₂
//         optimizer step on G. D's parameter gradients from (3) are discarded (PyTorch zeroes them next step).
//     [--ema d] e = d·e + (1 − d)·θ_G: an exponential moving average of G's weights (starts at G's initial weights)
//   [--diffaugment] every image D sees in (1), (2) and (3) is augmented first (translation, cutout; fresh randomness
//   each time), and (3)'s gradient goes back through the augmentation to G (Zhao et al. 2020). The scores and losses
//   are then D's on the augmented images; the snapshots and the quality metric see plain ones.
//
// Reusing the last critic step's G(z) in (3) is pytorch/examples' choice (and makes one critic step exactly its
// loop); the official WGAN code draws fresh noise for G's step instead, which costs one more G forward pass.
// Everything stays on the device; once per iteration a handful of scalars (losses, scores, gradient norms, one
// norm per parameter tensor, a non-finite flag) are copied back. All buffers are allocated in the constructor:
// CriticStep and GeneratorStep allocate nothing (KeepGradients, off unless asked for, allocates its copy once).
// Divergence check (docs/reliability.md): one device flag, cleared at the first critic step of the iteration, is
// raised by any non-finite value in D's gradients (before each D step), D's weights after each step, G's
// gradients, G's weights after its step, or the losses and scores; GeneratorStep reports it. Gradients and weights
// are checked through their L2 norms (non-finite iff an element is, or the sum of squares overflows float: a
// runaway either way), which the iteration also reports, as the finite-explosion rules (ExplosionDetector) read
// them: the global gradient norm is computed from the per-tensor norms, so the gradients are read once.
// Optional gradient clipping (ClipGradNorm, clip_grad_norm_ per network) scales each network's gradients by
// max / (‖g‖ + 1e−6) when below 1, before its optimizer step. The reported norms are the norms before clipping.
// Counters: critic steps and generator steps are counted separately (CriticStepsTaken, StepsTaken); each
// optimizer counts its own updates. The noise of critic step k (1-based, counted across the run) is the normal
// sequence of the noise seed at offset (k−1)·B·nz, so a resumed run draws exactly the noise of the uninterrupted one.
using Dcgan.Kernels.Augment;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Optim;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Training;

/// <summary>
/// What one iteration reports (the columns of losses.csv). DX, DGz1, DGz2 are the objective's scores (mean σ(D)
/// for bce, the critic's mean output otherwise); LossD and the scores are those of the iteration's last critic step.
/// Penalty: the gradient penalty's value at the iteration's last computation of it (0 when the iteration computed
/// none: no penalty, or lazy R1 between its steps); not part of LossD. WeightNormD and WeightNormG: the L2 norm of
/// each network's parameters after its last optimizer step of the iteration (a runaway shows here first).
/// </summary>
public readonly record struct IterationStats(
    float LossD, float LossG, float DX, float DGz1, float DGz2, float GradNormD, float GradNormG, bool NonFinite,
    float Penalty = 0, float WeightNormD = 0, float WeightNormG = 0);

public sealed class GanTrainer : IDisposable
{
    // Slots of the scalar buffer read back once per iteration.
    const int ErrDReal = 0, ErrDFake = 1, ErrG = 2, DX = 3, DGz1 = 4, DGz2 = 5, NormD = 6, NormG = 7, PenaltyValue = 8,
        WeightNormD = 9, WeightNormG = 10;
    /// <summary>Slots of the scalar buffer (StepBench accounts the trainer's device memory with it).</summary>
    internal const int ScalarCount = 11;

    readonly AcceleratorStream stream;
    readonly int batch;
    readonly GanObjective objective;
    readonly ReductionOps<float> reductions;
    readonly TensorOps<float> tensors;
    readonly WeightOps<float> weights;
    readonly NormalRngOps rng;
    readonly GradClipOps<float> gradClip;
    readonly MemoryBuffer1D<float, Stride1D.Dense> real, noise, dLogits, scalars, partials;
    readonly MemoryBuffer1D<float, Stride1D.Dense> tensorNorms, tensorNormScratch;
    readonly MemoryBuffer1D<int, Stride1D.Dense> nonFinite, segmentOffsets, segmentLengths;
    readonly MemoryBuffer1D<float, Stride1D.Dense>? ema, alpha;
    readonly CriticPenalty<float>? penalty;
    readonly DiffAugmenter? augmenter;
    readonly int generatorTensors, discriminatorTensors;
    readonly float[] hostScalars = new float[ScalarCount];
    readonly float[] hostTensorNorms;
    readonly int[] hostFlag = new int[1];
    readonly int normParts;
    int criticStepsThisIteration;

    public Sequential<float> Generator { get; }
    public Sequential<float> Discriminator { get; }
    public Optimizer OptimizerG { get; }
    public Optimizer OptimizerD { get; }
    public GanRecipe Recipe { get; }
    public ModelConfig Config { get; }
    public ComputeDevice Device { get; }
    public int BatchSize => batch;
    public ulong Seed { get; }
    public GanObjective Objective => objective;

    /// <summary>The EMA of G's weights, in G's arena layout, when the recipe keeps one; else null.</summary>
    public ArrayView<float>? EmaWeights => ema?.View;

    /// <summary>Generator steps taken so far: the iteration count of the run.</summary>
    public int StepsTaken { get; private set; }

    /// <summary>Critic steps taken so far (= real batches consumed).</summary>
    public long CriticStepsTaken { get; private set; }

    /// <summary>Critic steps the recipe wants before the next generator step.</summary>
    public int CriticStepsForNextIteration => Recipe.CriticStepsBefore(StepsTaken + 1);

    /// <summary>clip_grad_norm_'s max_norm, applied to each network's gradients before its step; null: no clipping.</summary>
    public double? ClipGradNorm { get; set; }

    /// <summary>The profiling seam (IStepTimer): told of every op of a step when set; null in training.</summary>
    public IStepTimer? Timer
    {
        get => timer;
        set => timer = Generator.Timer = Discriminator.Timer = value;
    }
    IStepTimer? timer;

    /// <summary>Names of the per-tensor gradient norms: netG.main.0.weight, …, then netD.main.0.weight, ….</summary>
    public IReadOnlyList<string> TensorNormNames { get; }

    /// <summary>The last iteration's gradient norm of every parameter tensor (before clipping), in TensorNormNames order.</summary>
    public ReadOnlySpan<float> TensorNorms => hostTensorNorms;

    public GanTrainer(ComputeDevice device, ModelConfig config, int batch, GanRecipe recipe, ulong seed)
    {
        if (batch < 2)
            throw new ArgumentException($"batch size {batch} must be at least 2 (batchnorm needs two values per channel)");
        Config = config;
        Device = device;
        this.batch = batch;
        Recipe = recipe;
        Seed = seed;
        var a = device.Accelerator;
        stream = a.DefaultStream;
        Generator = DcganModels.Generator<float>(device, config, batch, recipe.SpectralNormG);
        Discriminator = DcganModels.Discriminator<float>(device, config, batch, recipe.DiscriminatorBatchNorm, recipe.SpectralNormD);
        OptimizerG = Optimizer.Create(device, recipe.OptimizerG, Generator.Parameters.Length);
        OptimizerD = Optimizer.Create(device, recipe.OptimizerD, Discriminator.Parameters.Length);
        objective = GanObjective.Create(recipe.Loss, device, batch, recipe.RealTarget);
        reductions = ReductionOps<float>.On(device);
        tensors = TensorOps<float>.On(device);
        weights = WeightOps<float>.On(device);
        rng = NormalRngOps.On(device);
        gradClip = GradClipOps<float>.On(device);

        real = a.Allocate1D<float>(Count(Discriminator.InputShape));
        noise = a.Allocate1D<float>(Count(Generator.InputShape));
        dLogits = a.Allocate1D<float>(batch);
        scalars = a.Allocate1D<float>(ScalarCount);
        scalars.MemSetToZero(); // the penalty slot is read every iteration, written only on penalty steps
        partials = a.Allocate1D<float>(ReductionOps<float>.PartialsFor(a));
        nonFinite = a.Allocate1D<int>(1);

        // One segment per parameter tensor, G's then D's, each a slice of its network's arena.
        var gParams = Generator.Parameters.Parameters;
        var dParams = Discriminator.Parameters.Parameters;
        generatorTensors = gParams.Count;
        discriminatorTensors = dParams.Count;
        TensorNormNames = [.. gParams.Select(p => "netG." + p.Name), .. dParams.Select(p => "netD." + p.Name)];
        int segments = generatorTensors + discriminatorTensors;
        segmentOffsets = a.Allocate1D(gParams.Select(p => p.Offset).Concat(dParams.Select(p => p.Offset)).ToArray());
        segmentLengths = a.Allocate1D(gParams.Select(p => p.Length).Concat(dParams.Select(p => p.Length)).ToArray());
        tensorNorms = a.Allocate1D<float>(segments);
        normParts = GradClipOps<float>.PartsFor(a);
        tensorNormScratch = a.Allocate1D<float>(segments * normParts);
        hostTensorNorms = new float[segments];
        if (recipe.EmaDecay is not null)
            ema = a.Allocate1D<float>(Generator.Parameters.Length);
        if (recipe.Penalty is { } p)
        {
            penalty = new CriticPenalty<float>(device, Discriminator, p.Form);
            if (p.Kind == "wgan-gp")
                alpha = a.Allocate1D<float>(batch);
        }
        if (recipe.Augment.Any)
            augmenter = new DiffAugmenter(device, recipe.Augment.ShapeFor(config.Channels, config.ImageSize, config.ImageSize), batch);
        InitializeWeights();
    }

    /// <summary>Seed of an independent stream: weights of G, of D, the training noise, the fixed noise, WGAN-GP's α, DiffAugment's
    /// uniforms ('t' the critic's real batch, 'u' its fake batch, 'v' the generator step's) (and outside the step: the EMA's
    /// statistics 'e', the quality metric's 'q', the snapshots' 's').</summary>
    public ulong StreamSeed(char purpose) => Seed * 0x9E3779B97F4A7C15UL + purpose;

    /// <summary>
    /// The L2 norms of G's and D's initial weights (for this seed and config: a resumed run knows them too), the
    /// reference of the runaway-weight rule (ExplosionDetector).
    /// </summary>
    public (float G, float D) InitialWeightNorms { get; private set; }

    /// <summary>Both networks' initial weights (DcganModels.InitializeWeights, from the 'G' and 'D' streams); counters to 0.</summary>
    public void InitializeWeights()
    {
        DcganModels.InitializeWeights(Generator, StreamSeed('G'));
        DcganModels.InitializeWeights(Discriminator, StreamSeed('D'));
        WeightsSet();
    }

    /// <summary>
    /// A new run's starting weights (--netG / --netD), loaded strictly over the initial ones (a mismatch names the
    /// tensor and both shapes); the EMA of G and the initial weight norms the explosion rule compares with follow them.
    /// </summary>
    public void LoadStartingWeights(Checkpoints.SafetensorsFile? generator, Checkpoints.SafetensorsFile? discriminator)
    {
        if (generator is not null)
            Checkpoints.StateDict.Load(generator, Generator);
        if (discriminator is not null)
            Checkpoints.StateDict.Load(discriminator, Discriminator);
        WeightsSet();
    }

    void WeightsSet()
    {
        if (ema is not null)
            Generator.Parameters.Values.CopyTo(stream, (ArrayView<float>)ema.View);
        var s = scalars.View;
        reductions.L2Norm(stream, Generator.Parameters.Values, partials.View, s.SubView(WeightNormG, 1));
        reductions.L2Norm(stream, Discriminator.Parameters.Values, partials.View, s.SubView(WeightNormD, 1));
        stream.Synchronize();
        s.CopyToCPU(hostScalars);
        InitialWeightNorms = (hostScalars[WeightNormG], hostScalars[WeightNormD]);
        SetPosition(0, 0);
    }

    /// <summary>Where a resumed run stands: generator and critic steps taken (each optimizer's count follows).</summary>
    public void SetPosition(int generatorSteps, long criticSteps)
    {
        StepsTaken = generatorSteps;
        CriticStepsTaken = criticSteps;
        OptimizerG.StepsTaken = generatorSteps;
        OptimizerD.StepsTaken = checked((int)criticSteps);
        criticStepsThisIteration = 0;
    }

    /// <summary>One whole iteration of a recipe with one critic step per generator step (the dcgan recipe).</summary>
    public IterationStats Step(ReadOnlySpan<float> realBatch)
    {
        if (CriticStepsForNextIteration != 1)
            throw new InvalidOperationException(
                $"iteration {StepsTaken + 1} of this recipe has {CriticStepsForNextIteration} critic steps: call CriticStep for each, then GeneratorStep");
        CriticStep(realBatch);
        return GeneratorStep();
    }

    /// <summary>One critic step on a real batch (B·nc·H·W floats in [-1, 1], NCHW). Allocation-free.</summary>
    public void CriticStep(ReadOnlySpan<float> realBatch)
    {
        if (realBatch.Length != real.Length)
            throw new ArgumentException($"real batch has {realBatch.Length} floats, expected {real.Length}");
        long criticStep = CriticStepsTaken + 1;
        var G = Generator;
        var D = Discriminator;
        var s = scalars.View;
        ((ArrayView<float>)real.View).CopyFromCPU(realBatch);
        timer?.Op("copy real batch host->device", "copy");
        if (criticStepsThisIteration == 0)
        {
            reductions.ClearFlag(stream, nonFinite.View);
            timer?.Op("non-finite flag", "checks");
            if (penalty is not null)
                // The logged penalty is this iteration's (0 when lazy R1 skips it): a resumed run logs the same.
                tensors.Fill(stream, 0f, s.SubView(PenaltyValue, 1));
        }
        if (Recipe.ClipWeights is double c)
        {
            weights.Clamp(stream, c, D.Parameters.Values);
            timer?.Op("clip D weights", "optimizer");
        }

        // (1) D on the real batch (augmented, with DiffAugment).
        var realSeen = Augment(real.View, 't', criticStep - 1, intoReal: true);
        D.Forward(stream, realSeen, training: true);
        objective.CriticReal(stream, D.Output, s.SubView(ErrDReal, 1), s.SubView(DX, 1), dLogits.View);
        timer?.Op("loss (forward, score, backward)", "loss");
        D.Backward(stream, realSeen, dLogits.View, needInputGradient: false);
        if (Recipe.Penalty is { Kind: "r1", Every: var every } && (criticStep - 1) % every == 0)
        {
            penalty!.Accumulate(stream, real.View, s.SubView(PenaltyValue, 1), forward: false, gradientScale: every);
            timer?.Op("R1 penalty (first + double backward)", "penalty");
        }

        // (2) D on G(z); G's output is treated as a constant (detached).
        rng.Normal(stream, StreamSeed('z'), (criticStep - 1) * noise.Length, noise.View);
        timer?.Op("noise (normal rng)", "rng");
        G.Forward(stream, noise.View, training: true);
        var fakeSeen = Augment(G.Output, 'u', criticStep - 1, intoReal: false);
        D.Forward(stream, fakeSeen, training: true);
        objective.CriticFake(stream, D.Output, s.SubView(ErrDFake, 1), s.SubView(DGz1, 1), dLogits.View);
        timer?.Op("loss (forward, score, backward)", "loss");
        D.Backward(stream, fakeSeen, dLogits.View, needInputGradient: false);
        if (alpha is not null)
        {
            rng.Uniform(stream, StreamSeed('a'), (criticStep - 1) * batch, alpha.View);
            penalty!.AccumulateInterpolated(stream, real.View, G.Output, alpha.View, s.SubView(PenaltyValue, 1));
            timer?.Op("gradient penalty (interpolation, first + double backward)", "penalty");
        }
        GradientChecks(D, s.SubView(NormD, 1), generatorTensors, discriminatorTensors);
        OptimizerD.Step(stream, D.Parameters);
        timer?.Op("optimizer D", "optimizer");
        WeightCheck(D, s.SubView(WeightNormD, 1));
        CriticStepsTaken = criticStep;
        criticStepsThisIteration++;
    }

    /// <summary>The generator step closing an iteration, after its critic steps; returns the iteration's numbers.</summary>
    public IterationStats GeneratorStep()
    {
        if (criticStepsThisIteration == 0)
            throw new InvalidOperationException("a generator step needs a critic step before it (it reuses that step's G(z))");
        var G = Generator;
        var D = Discriminator;
        var s = scalars.View;

        // (3) G through the updated D (and through DiffAugment's transforms, with fresh randomness).
        var fakeSeen = Augment(G.Output, 'v', StepsTaken, intoReal: false);
        D.Forward(stream, fakeSeen, training: true);
        objective.Generator(stream, D.Output, s.SubView(ErrG, 1), s.SubView(DGz2, 1), dLogits.View);
        timer?.Op("loss (forward, score, backward)", "loss");
        // Only G learns from this pass: D's conv weight gradients are not computed (PyTorch's loop computes and
        // discards them), and the clear below wipes what remains (batchnorm's), which the next D step would
        // otherwise add to.
        D.Backward(stream, fakeSeen, dLogits.View, needInputGradient: true, needParameterGradients: false);
        tensors.Fill(stream, 0f, D.Parameters.Gradients);
        timer?.Op("clear D gradients", "fill");
        var dGeneratorOutput = D.InputGradient;
        if (augmenter is not null)
        {
            augmenter.Ops.Backward(stream, augmenter.Shape, augmenter.Uniforms.View, D.InputGradient, augmenter.Gradient.View);
            dGeneratorOutput = augmenter.Gradient.View;
            timer?.Op("DiffAugment backward", "augment");
        }
        G.Backward(stream, noise.View, dGeneratorOutput, needInputGradient: false);
        GradientChecks(G, s.SubView(NormG, 1), 0, generatorTensors);
        reductions.FlagNonFinite(stream, s, nonFinite.View);
        timer?.Op("non-finite flag", "checks");
        OptimizerG.Step(stream, G.Parameters);
        timer?.Op("optimizer G", "optimizer");
        WeightCheck(G, s.SubView(WeightNormG, 1));
        if (ema is not null)
        {
            weights.Ema(stream, Recipe.EmaDecay!.Value, G.Parameters.Values, ema.View);
            timer?.Op("EMA of G", "optimizer");
        }

        stream.Synchronize();
        s.CopyToCPU(hostScalars);
        tensorNorms.View.CopyToCPU(hostTensorNorms);
        nonFinite.View.CopyToCPU(hostFlag);
        timer?.Op("copy scalars device->host", "copy");
        StepsTaken++;
        criticStepsThisIteration = 0;
        var h = hostScalars;
        return new IterationStats(h[ErrDReal] + h[ErrDFake], h[ErrG], h[DX], h[DGz1], h[DGz2], h[NormD], h[NormG],
            hostFlag[0] != 0, h[PenaltyValue], h[WeightNormD], h[WeightNormG]);
    }

    /// <summary>
    /// The images D is to see: <paramref name="images"/> itself without DiffAugment, else their augmentation (in the
    /// augmented real or fake batch's buffer), drawn from the uniforms at position step·4B of stream
    /// <paramref name="purpose"/> (a function of the step count, so a resumed run draws the same).
    /// </summary>
    ArrayView<float> Augment(ArrayView<float> images, char purpose, long step, bool intoReal)
    {
        if (augmenter is null)
            return images;
        var u = augmenter.Uniforms.View;
        var into = (intoReal ? augmenter.Real : augmenter.Fake).View;
        rng.Uniform(stream, StreamSeed(purpose), step * u.Length, u);
        augmenter.Ops.Forward(stream, augmenter.Shape, images, u, into);
        timer?.Op("DiffAugment (uniforms, translation and cutout)", "augment");
        return into;
    }

    /// <summary>DiffAugment's buffers, allocated once: the augmented real and fake batches, one batch's uniforms, G's output gradient.</summary>
    sealed class DiffAugmenter(ComputeDevice device, DiffAugmentShape shape, int batch) : IDisposable
    {
        public readonly DiffAugmentOps<float> Ops = DiffAugmentOps<float>.On(device);
        public readonly DiffAugmentShape Shape = shape;
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Real = device.Accelerator.Allocate1D<float>(batch * shape.PerSample);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Fake = device.Accelerator.Allocate1D<float>(batch * shape.PerSample);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Gradient = device.Accelerator.Allocate1D<float>(batch * shape.PerSample);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Uniforms =
            device.Accelerator.Allocate1D<float>(batch * DiffAugmentShape.UniformsPerSample);

        public void Dispose()
        {
            Real.Dispose();
            Fake.Dispose();
            Gradient.Dispose();
            Uniforms.Dispose();
        }
    }

    /// <summary>After a network's optimizer step: the L2 norm of its weights, and the non-finite flag raised by it.</summary>
    void WeightCheck(Sequential<float> net, ArrayView<float> norm)
    {
        reductions.L2Norm(stream, net.Parameters.Values, partials.View, norm);
        reductions.FlagNonFinite(stream, norm, nonFinite.View);
        timer?.Op("weight norm and non-finite flag", "checks");
    }

    /// <summary>
    /// Before a network's optimizer step: the norm of each of its parameter tensors (segments [first, first + count)
    /// of the norm buffer), its global gradient norm from those (one pass over the gradients in all), then the
    /// optional clip, which reads the global norm from device memory. A non-finite gradient makes its tensor's norm
    /// and the global norm non-finite: the global norm goes to the flag here, the tensor is named by the host.
    /// </summary>
    void GradientChecks(Sequential<float> net, ArrayView<float> norm, int first, int count)
    {
        var g = net.Parameters.Gradients;
        if (KeepGradients)
            KeepGradientsOf(net);
        int parts = normParts;
        var norms = tensorNorms.View.SubView(first, count);
        gradClip.SegmentNorms(stream, g, segmentOffsets.View.SubView(first, count), segmentLengths.View.SubView(first, count),
            tensorNormScratch.View.SubView(first * parts, count * parts), norms);
        gradClip.NormOfNorms(stream, norms, norm);
        reductions.FlagNonFinite(stream, norm, nonFinite.View);
        if (ClipGradNorm is double max)
            gradClip.ClipByNorm(stream, g, norm, max);
        timer?.Op("gradient norms and checks", "checks");
    }

    MemoryBuffer1D<float, Stride1D.Dense>? keptG, keptD;

    /// <summary>
    /// When set, each step copies its network's gradients, as computed (before clipping, like the norms), into a
    /// buffer of their own before the optimizer step clears them: D's of the iteration's last critic step and G's,
    /// read by <see cref="KeptGradients"/> (TensorBoard's gradient histograms at checkpoints). Off, nothing is copied;
    /// the two buffers are allocated at the first use.
    /// </summary>
    public bool KeepGradients { get; set; }

    void KeepGradientsOf(Sequential<float> net)
    {
        ref var kept = ref (net == Generator ? ref keptG : ref keptD);
        kept ??= Device.Accelerator.Allocate1D<float>(net.Parameters.Length);
        net.Parameters.Gradients.CopyTo(stream, (ArrayView<float>)kept.View);
    }

    /// <summary>
    /// The gradients the last steps kept (<see cref="KeepGradients"/>), one array per parameter tensor named as
    /// <see cref="TensorNormNames"/> (netG.…, then netD.…); empty before any step kept them.
    /// </summary>
    public IReadOnlyList<(string Name, float[] Values)> KeptGradients()
    {
        stream.Synchronize();
        var result = new List<(string, float[])>();
        foreach (var (net, kept, prefix) in new[] { (Generator, keptG, "netG."), (Discriminator, keptD, "netD.") })
        {
            if (kept is null)
                continue;
            var all = kept.GetAsArray1D();
            foreach (var p in net.Parameters.Parameters)
                result.Add((prefix + p.Name, all.AsSpan(p.Offset, p.Length).ToArray()));
        }
        return result;
    }

    static int Count(int[] shape) => shape.Aggregate(1, (x, y) => checked(x * y));

    public void Dispose()
    {
        foreach (var buffer in new[] { real, noise, dLogits, scalars, partials, tensorNorms, tensorNormScratch })
            buffer.Dispose();
        foreach (var buffer in new[] { nonFinite, segmentOffsets, segmentLengths })
            buffer.Dispose();
        objective.Dispose();
        ema?.Dispose();
        alpha?.Dispose();
        augmenter?.Dispose();
        keptG?.Dispose();
        keptD?.Dispose();
        penalty?.Dispose();
        OptimizerG.Dispose();
        OptimizerD.Dispose();
        Generator.Dispose();
        Discriminator.Dispose();
    }
}
