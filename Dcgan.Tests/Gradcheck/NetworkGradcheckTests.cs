using Dcgan.Nn.Gradcheck.Cases;

namespace Dcgan.Tests.Gradcheck;

/// <summary>
/// Whole networks in float64 through the layers that train in float32: a small odd critic, DCGAN's D with and
/// without batchnorm, and DCGAN's G, each network's input gradient and every parameter gradient.
/// </summary>
public abstract class NetworkGradcheckTests : BackendTest
{
    [Test]
    public void WholeNetworksMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(NetworkBackwardCase.All(), Device);
}

public sealed class NetworkGradcheckTestsCpu : NetworkGradcheckTests { protected override string DeviceSpec => "cpu"; }
public sealed class NetworkGradcheckTestsOpenCl : NetworkGradcheckTests { protected override string DeviceSpec => "opencl"; }
public sealed class NetworkGradcheckTestsCuda : NetworkGradcheckTests { protected override string DeviceSpec => "cuda"; }
