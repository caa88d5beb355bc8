// The profiling seam of a training step: GanTrainer and Sequential report each op they have launched, so a
// profiler (`dcgan bench step`, StepProfiler) can time the real step op by op instead of a copy of it. In training
// the timer is null and each report is one null check; the strings passed are constants or precomputed names,
// so reporting allocates nothing.
using Dcgan.Nn.Layers;

namespace Dcgan.Nn.Models;

public interface IStepTimer
{
    /// <summary>An op other than a layer pass has just been launched (its kernels may still be running).</summary>
    void Op(string op, string kind);

    /// <summary>A layer's pass has just been launched, in network <paramref name="net"/> ("G" or "D").</summary>
    void Layer(string net, Layer layer, LayerPass pass);
}

/// <summary>Which pass of a layer: forward, backward, or a gradient penalty's double backward (Layer).</summary>
public enum LayerPass { Forward, Backward, DoubleBackward }
