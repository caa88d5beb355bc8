// A layer of a sequential network, for one fixed batch size, generic in the element type like the launchers: the
// networks train in float32, and the very same layers run in float64 for the whole-network gradchecks. Each layer
// owns its output buffer and the buffer of the gradient with respect to its input; both are allocated once, when
// the model is built.
//
// Forward(x)          writes Output from x (x is the previous layer's Output, or the network input).
// Backward(x, dY)     writes InputGradient (overwritten) from dY and, for layers with parameters,
//                     ACCUMULATES their gradients in the arena (the optimizer step clears them).
// BackwardOfBackward(t, dY)
//                     the second-order pass of a gradient penalty (docs/kernels/double-backward.md): after a
//                     Backward with the same dY, given t, the tangent of this layer's input, writes Tangent (this
//                     layer's Jacobian applied to t, with the masks of the last Forward) and ACCUMULATES the
//                     parameter gradient of ⟨t, ∂L/∂x⟩: for a conv y = w ⋆ x that is BackwardWeight(t, dY). Only the
//                     layers on which ∂L/∂x is bilinear in (parameters, dY) for fixed masks have it: conv, ReLU,
//                     LeakyReLU (not batchnorm, Tanh, Sigmoid). Tangent is allocated by EnableDoubleBackward only.
// The forward cache each backward needs is the layer's own Output and the x it was given: callers run
// Backward right after the Forward it belongs to, with the same x.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

/// <summary>What every layer is, whatever its element type: a name, shapes and a description (profiles, summaries).</summary>
public abstract class Layer(string name, int[] inputShape, int[] outputShape) : IDisposable
{
    /// <summary>PyTorch's name of this module in the state dict, e.g. "main.3".</summary>
    public string Name { get; } = name;
    public int[] InputShape { get; } = inputShape;
    public int[] OutputShape { get; } = outputShape;

    /// <summary>One line for `dcgan` summaries, e.g. "ConvTranspose2d(100, 512, k4 s1 p0)".</summary>
    public abstract string Describe();

    /// <summary>Whether BackwardOfBackward exists for this layer (a gradient penalty can pass through it).</summary>
    public virtual bool HasDoubleBackward => false;

    /// <summary>
    /// The FLOPs of the last pass launched (forward, backward with the gradients it was asked for, or double backward),
    /// counted for the convolutions only (2·N·OC·OH·OW·C·K² per conv, as KernelBench counts); 0 for other layers. The
    /// profiling seam reads it after each pass to give each conv pass its GFLOP/s.
    /// </summary>
    public double LastPassFlops { get; protected set; }

    protected static int Count(int[] shape) => shape.Aggregate(1, (a, b) => checked(a * b));

    public abstract void Dispose();
}

public abstract class Layer<T> : Layer where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly MemoryBuffer1D<T, Stride1D.Dense> output;
    readonly MemoryBuffer1D<T, Stride1D.Dense> inputGradient;
    MemoryBuffer1D<T, Stride1D.Dense>? tangent;

    /// <summary>The accelerator whose buffers this layer holds.</summary>
    protected Accelerator Accelerator { get; }

    public ArrayView<T> Output => output.View;
    public ArrayView<T> InputGradient => inputGradient.View;

    /// <summary>The tangent of this layer's output from the last BackwardOfBackward (EnableDoubleBackward first).</summary>
    public ArrayView<T> Tangent => tangent?.View
        ?? throw new InvalidOperationException($"{Name}: no tangent buffer (EnableDoubleBackward was not called)");

    protected Layer(Accelerator accelerator, string name, int[] inputShape, int[] outputShape)
        : base(name, inputShape, outputShape)
    {
        Accelerator = accelerator;
        output = accelerator.Allocate1D<T>(Count(outputShape));
        inputGradient = accelerator.Allocate1D<T>(Count(inputShape));
    }

    /// <summary>Called once the network's parameter arena exists: take views of this layer's parameters.</summary>
    public virtual void Bind(ParameterArena<T> arena) { }

    public abstract void Forward(AcceleratorStream stream, ArrayView<T> x, bool training);

    /// <param name="needInputGradient">false for a network's first layer, whose input needs no gradient.</param>
    /// <param name="needParameterGradients">
    /// false when only the input gradient is wanted (D's pass in the generator update, whose parameter gradients
    /// would be discarded; a penalty's first backward): layers whose parameter gradients cost a pass of their own
    /// (the convolutions) skip it.
    /// </param>
    public abstract void Backward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, bool needInputGradient,
        bool needParameterGradients = true);

    /// <summary>Allocates the tangent buffer BackwardOfBackward writes (once; a model with a penalty calls it).</summary>
    public void EnableDoubleBackward()
    {
        if (!HasDoubleBackward)
            throw new NotSupportedException($"{Name} {Describe()} has no double backward (a gradient penalty cannot pass through it)");
        tangent ??= Accelerator.Allocate1D<T>(Count(OutputShape));
    }

    /// <summary>
    /// The second-order pass (file header): t is the tangent of this layer's input, dY the output gradient of the
    /// Backward just run. Writes Tangent when needTangent; accumulates the parameter gradient of ⟨t, ∂L/∂x⟩.
    /// </summary>
    public virtual void BackwardOfBackward(AcceleratorStream stream, ArrayView<T> t, ArrayView<T> dY, bool needTangent) =>
        throw new NotSupportedException($"{Name} {Describe()} has no double backward");

    /// <summary>Non-trainable state saved in checkpoints (batchnorm running statistics), by state-dict suffix.</summary>
    public virtual IEnumerable<StateBuffer<T>> StateBuffers => [];

    public override void Dispose()
    {
        output.Dispose();
        inputGradient.Dispose();
        tangent?.Dispose();
    }
}

/// <summary>A non-trainable tensor of a layer as it appears in the state dict (e.g. "running_mean").</summary>
public sealed record StateBuffer<T>(string Suffix, int[] Shape, ArrayView<T> View) where T : unmanaged;
