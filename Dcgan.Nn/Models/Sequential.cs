// A chain of layers with one parameter arena, named like PyTorch's nn.Sequential under "main": layer i is
// "main.i", so the state dict matches pytorch/examples' netG/netD exactly.
using Dcgan.Nn.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Models;

public sealed class Sequential : IDisposable
{
    readonly Layer[] layers;

    public IReadOnlyList<Layer> Layers => layers;
    public ParameterArena Parameters { get; }
    public int[] InputShape => layers[0].InputShape;
    public int[] OutputShape => layers[^1].OutputShape;
    public ArrayView<float> Output => layers[^1].Output;
    /// <summary>∂L/∂input after <see cref="Backward"/> with needInputGradient.</summary>
    public ArrayView<float> InputGradient => layers[0].InputGradient;

    public Sequential(Accelerator accelerator, ParameterArena.Builder parameters, IEnumerable<Layer> layers)
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

    public void Forward(AcceleratorStream stream, ArrayView<float> input, bool training)
    {
        var x = input;
        foreach (var layer in layers)
        {
            layer.Forward(stream, x, training);
            Timer?.Layer(ProfileName, layer, backward: false);
            x = layer.Output;
        }
    }

    /// <summary>
    /// Backpropagates dOutput through every layer, right after the <see cref="Forward"/> it belongs to, with the
    /// same input. Parameter gradients accumulate; InputGradient is written only if needInputGradient. With
    /// needParameterGradients false the convolutions skip their weight gradients (Layer.Backward).
    /// </summary>
    public void Backward(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> dOutput, bool needInputGradient,
        bool needParameterGradients = true)
    {
        var dY = dOutput;
        for (int i = layers.Length - 1; i >= 0; i--)
        {
            var x = i == 0 ? input : layers[i - 1].Output;
            layers[i].Backward(stream, x, dY, needInputGradient: i > 0 || needInputGradient, needParameterGradients);
            Timer?.Layer(ProfileName, layers[i], backward: true);
            dY = layers[i].InputGradient;
        }
    }

    public void Dispose()
    {
        foreach (var layer in layers)
            layer.Dispose();
        Parameters.Dispose();
    }
}
