// All trainable parameters of one network in one contiguous buffer (float32 in training, float64 in gradchecks), with their gradients in a second
// buffer of the same layout: an optimizer (Dcgan.Nn/Optim, which owns its own state in this layout) is then one
// fused kernel launch over the whole network, and the gradient norm one reduction. Layers get views at fixed
// offsets. Allocated once.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

/// <summary>A named parameter: its slice of the arena's value and gradient buffers.</summary>
public sealed record Parameter(string Name, int[] Shape, int Offset, int Length)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

public sealed class ParameterArena<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly MemoryBuffer1D<T, Stride1D.Dense> values, gradients;
    readonly List<Parameter> parameters;

    public IReadOnlyList<Parameter> Parameters => parameters;
    public int Length { get; }

    public ArrayView<T> Values => values.View;
    public ArrayView<T> Gradients => gradients.View;

    ParameterArena(Accelerator accelerator, List<Parameter> parameters, int length)
    {
        this.parameters = parameters;
        Length = Math.Max(length, 1);
        values = accelerator.Allocate1D<T>(Length);
        gradients = accelerator.Allocate1D<T>(Length);
        values.MemSetToZero();
        gradients.MemSetToZero();
    }

    public ArrayView<T> ValueOf(Parameter p) => values.View.SubView(p.Offset, p.Length);
    public ArrayView<T> GradientOf(Parameter p) => gradients.View.SubView(p.Offset, p.Length);

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

        public ParameterArena<T> Build(Accelerator accelerator) => new(accelerator, declared, next);
    }

    public void Dispose()
    {
        values.Dispose();
        gradients.Dispose();
    }
}
