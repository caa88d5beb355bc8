// A layer of a sequential network, float32, for one fixed batch size. Each layer owns its output buffer and
// the buffer of the gradient with respect to its input; both are allocated once, when the model is built.
//
// Forward(x)          writes Output from x (x is the previous layer's Output, or the network input).
// Backward(x, dY)     writes InputGradient (overwritten) from dY and, for layers with parameters,
//                     ACCUMULATES their gradients in the arena (the optimizer step clears them).
// The forward cache each backward needs is the layer's own Output and the x it was given: callers run
// Backward right after the Forward it belongs to, with the same x.
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

public abstract class Layer : IDisposable
{
    readonly MemoryBuffer1D<float, Stride1D.Dense> output;
    readonly MemoryBuffer1D<float, Stride1D.Dense> inputGradient;

    /// <summary>PyTorch's name of this module in the state dict, e.g. "main.3".</summary>
    public string Name { get; }
    public int[] InputShape { get; }
    public int[] OutputShape { get; }
    public ArrayView<float> Output => output.View;
    public ArrayView<float> InputGradient => inputGradient.View;

    protected Layer(Accelerator accelerator, string name, int[] inputShape, int[] outputShape)
    {
        Name = name;
        InputShape = inputShape;
        OutputShape = outputShape;
        output = accelerator.Allocate1D<float>(Count(outputShape));
        inputGradient = accelerator.Allocate1D<float>(Count(inputShape));
    }

    /// <summary>Called once the network's parameter arena exists: take views of this layer's parameters.</summary>
    public virtual void Bind(ParameterArena arena) { }

    public abstract void Forward(AcceleratorStream stream, ArrayView<float> x, bool training);

    /// <param name="needInputGradient">false for a network's first layer, whose input needs no gradient.</param>
    /// <param name="needParameterGradients">
    /// false when only the input gradient is wanted (D's pass in the generator update, whose parameter gradients
    /// would be discarded): layers whose parameter gradients cost a pass of their own (the convolutions) skip it.
    /// </param>
    public abstract void Backward(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> dY, bool needInputGradient,
        bool needParameterGradients = true);

    /// <summary>Non-trainable state saved in checkpoints (batchnorm running statistics), by state-dict suffix.</summary>
    public virtual IEnumerable<StateBuffer> StateBuffers => [];

    /// <summary>One line for `dcgan` summaries, e.g. "ConvTranspose2d(100, 512, k4 s1 p0)".</summary>
    public abstract string Describe();

    protected static int Count(int[] shape) => shape.Aggregate(1, (a, b) => checked(a * b));

    public virtual void Dispose()
    {
        output.Dispose();
        inputGradient.Dispose();
    }
}

/// <summary>A non-trainable tensor of a layer as it appears in the state dict (e.g. "running_mean").</summary>
public sealed record StateBuffer(string Suffix, int[] Shape, ArrayView<float> View);
