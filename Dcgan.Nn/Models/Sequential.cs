// A chain of layers with one parameter arena, named like PyTorch's nn.Sequential under "main": layer i is
// "main.i", so the state dict matches pytorch/examples' netG/netD exactly.
using System.Numerics;
using Dcgan.Nn.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Models;

public sealed class Sequential<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Layer<T>[] layers;

    public IReadOnlyList<Layer<T>> Layers => layers;
    public ParameterArena<T> Parameters { get; }
    public int[] InputShape => layers[0].InputShape;
    public int[] OutputShape => layers[^1].OutputShape;
    public ArrayView<T> Output => layers[^1].Output;
    /// <summary>∂L/∂input after <see cref="Backward"/> with needInputGradient.</summary>
    public ArrayView<T> InputGradient => layers[0].InputGradient;

    public Sequential(Accelerator accelerator, ParameterArena<T>.Builder parameters, IEnumerable<Layer<T>> layers)
    {
        this.layers = layers.ToArray();
        for (int i = 1; i < this.layers.Length; i++)
            if (!this.layers[i - 1].OutputShape.SequenceEqual(this.layers[i].InputShape))
                throw new ArgumentException($"{this.layers[i].Name}: input shape does not match {this.layers[i - 1].Name}'s output");
        Parameters = parameters.Build(accelerator);
        foreach (var layer in this.layers)
            layer.Bind(Parameters);
    }

    /// <summary>Short name for profiles ("G" or "D"); empty when not set.</summary>
    public string ProfileName { get; init; } = "";

    /// <summary>Told of every layer pass when set (the profiling seam; null in training).</summary>
    public IStepTimer? Timer { get; set; }

    public void Forward(AcceleratorStream stream, ArrayView<T> input, bool training)
    {
        var x = input;
        foreach (var layer in layers)
        {
            layer.Forward(stream, x, training);
            Timer?.Layer(ProfileName, layer, LayerPass.Forward);
            x = layer.Output;
        }
    }

    /// <summary>
    /// Backpropagates dOutput through every layer, right after the <see cref="Forward"/> it belongs to, with the
    /// same input. Parameter gradients accumulate; InputGradient is written only if needInputGradient. With
    /// needParameterGradients false the convolutions skip their weight gradients (Layer.Backward).
    /// </summary>
    public void Backward(AcceleratorStream stream, ArrayView<T> input, ArrayView<T> dOutput, bool needInputGradient,
        bool needParameterGradients = true)
    {
        var dY = dOutput;
        for (int i = layers.Length - 1; i >= 0; i--)
        {
            var x = i == 0 ? input : layers[i - 1].Output;
            layers[i].Backward(stream, x, dY, needInputGradient: i > 0 || needInputGradient, needParameterGradients);
            Timer?.Layer(ProfileName, layers[i], LayerPass.Backward);
            dY = layers[i].InputGradient;
        }
    }

    /// <summary>Allocates every layer's tangent buffer (a gradient penalty will run BackwardOfBackward); once.</summary>
    public void EnableDoubleBackward()
    {
        foreach (var layer in layers)
            layer.EnableDoubleBackward();
    }

    /// <summary>
    /// The second-order pass of a gradient penalty P(g) on g = ∂⟨dOutput, net(x)⟩/∂x (docs/kernels/double-backward.md),
    /// right after the <see cref="Backward"/> that computed g (with needInputGradient, so every layer's InputGradient
    /// holds its δ) and with the same dOutput. tangentInput is ∂P/∂g. ACCUMULATES ∂P/∂θ into the parameter
    /// gradients: for each layer, in forward order, its input tangent t (∂P/∂g pushed through the layers before it
    /// with the last forward's masks) pairs with the δ of its output.
    /// </summary>
    public void BackwardOfBackward(AcceleratorStream stream, ArrayView<T> dOutput, ArrayView<T> tangentInput)
    {
        var t = tangentInput;
        for (int i = 0; i < layers.Length; i++)
        {
            bool last = i == layers.Length - 1;
            var dY = last ? dOutput : layers[i + 1].InputGradient;
            layers[i].BackwardOfBackward(stream, t, dY, needTangent: !last);
            Timer?.Layer(ProfileName, layers[i], LayerPass.DoubleBackward);
            if (!last)
                t = layers[i].Tangent;
        }
    }

    public void Dispose()
    {
        foreach (var layer in layers)
            layer.Dispose();
        Parameters.Dispose();
    }
}
