// All trainable parameters of one network in one contiguous float32 buffer, with their gradients in a second
// buffer of the same layout: an optimizer (Dcgan.Nn/Optim, which owns its own state in this layout) is then one
// fused kernel launch over the whole network, and the gradient norm one reduction. Layers get views at fixed
// offsets. Allocated once.
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

/// <summary>A named parameter: its slice of the arena's value and gradient buffers.</summary>
public sealed record Parameter(string Name, int[] Shape, int Offset, int Length)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

public sealed class ParameterArena : IDisposable
{
    readonly MemoryBuffer1D<float, Stride1D.Dense> values, gradients;
    readonly List<Parameter> parameters;

    public IReadOnlyList<Parameter> Parameters => parameters;
    public int Length { get; }

    public ArrayView<float> Values => values.View;
    public ArrayView<float> Gradients => gradients.View;

    ParameterArena(Accelerator accelerator, List<Parameter> parameters, int length)
    {
        this.parameters = parameters;
        Length = Math.Max(length, 1);
        values = accelerator.Allocate1D<float>(Length);
        gradients = accelerator.Allocate1D<float>(Length);
        values.MemSetToZero();
        gradients.MemSetToZero();
    }

    public ArrayView<float> ValueOf(Parameter p) => values.View.SubView(p.Offset, p.Length);
    public ArrayView<float> GradientOf(Parameter p) => gradients.View.SubView(p.Offset, p.Length);

    public Parameter this[string name] =>
        parameters.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"no parameter '{name}'");

    /// <summary>Collects parameter declarations from layers, then allocates the arena once.</summary>
    public sealed class Builder
    {
        readonly List<Parameter> declared = [];
        int next;

        public Parameter Declare(string name, params int[] shape)
        {
            int length = checked(shape.Aggregate(1, (a, b) => a * b));
            var p = new Parameter(name, shape, next, length);
            // Keep every parameter 16-float aligned so vector loads of one parameter never straddle another.
            next = checked(next + (length + 15) / 16 * 16);
            declared.Add(p);
            return p;
        }

        public ParameterArena Build(Accelerator accelerator) => new(accelerator, declared, next);
    }

    public void Dispose()
    {
        values.Dispose();
        gradients.Dispose();
    }
}
