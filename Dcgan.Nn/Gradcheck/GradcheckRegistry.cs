using Dcgan.Nn.Gradcheck.Cases;

namespace Dcgan.Nn.Gradcheck;

/// <summary>Every finite-difference case `dcgan gradcheck` runs, grouped by op name.</summary>
public static class GradcheckRegistry
{
    public static IReadOnlyList<GradcheckCase> All() =>
    [
        .. Conv2dCase.All(),
        .. ConvTranspose2dCase.All(),
        .. BatchNorm2dCase.All(),
        .. ActivationCase.All(),
        .. BceWithLogitsCase.All(),
        .. SoftmaxCrossEntropyCase.All(),
        .. CriticLossCase.All(),
        .. DiffAugmentCase.All(),
        .. SpectralNormCase.All(),
        .. PenaltyHeadCase.All(),
        .. NetworkBackwardCase.All(),
        .. PenaltyCase.All(),
    ];

    public static IReadOnlyList<string> OpNames() => All().Select(c => c.Op).Distinct().ToList();
}
