using NotebookSsl.Methods.Mae;

namespace NotebookSsl.Methods.MultiViewMae;

/// <summary>
/// Everything that defines a multi-view MAE (multi-view-mae.md, §3): an MAE (encoder, decoder, masking)
/// trained on two augmented views of each image with an NT-Xent loss between the views' pooled latents.
/// </summary>
public sealed record MultiViewMaeConfig
{
    /// <summary>
    /// The MAE run on each view: encoder, decoder and mask ratio. The paper picks an 80 % mask ratio and a
    /// 4-block decoder (its Table 5); a notebook comparing with a plain MAE keeps the MAE's own settings.
    /// </summary>
    public MaeConfig Mae { get; init; } = new() { MaskRatio = 0.8 };
    /// <summary>λ of Eq. 7, the weight of the contrastive loss (the paper's Table 5: 0.1–2.0, best 2.0; 0 is "w/o contrastive loss").</summary>
    public double ContrastiveWeight { get; init; } = 2.0;
    /// <summary>τ of NT-Xent (the paper: 0.07, "following SimCLR").</summary>
    public double Temperature { get; init; } = 0.07;
    /// <summary>
    /// Two differently augmented views per image (the paper's "two different target views"); false is Table 6's
    /// "w/o two different targets": one augmented view, masked twice independently.
    /// </summary>
    public bool TwoTargets { get; init; } = true;
    /// <summary>Smallest crop area of RandomResizedCrop (MAE and the paper: 0.2 of the image); a horizontal flip follows.</summary>
    public double CropScaleMin { get; init; } = 0.2;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistency.</summary>
    public MultiViewMaeConfig Validate()
    {
        Mae.Validate();
        if (!(ContrastiveWeight >= 0)) throw new ArgumentException($"ContrastiveWeight must be ≥ 0, got {ContrastiveWeight}.");
        if (!(Temperature > 0)) throw new ArgumentException($"Temperature must be positive, got {Temperature}.");
        if (!(CropScaleMin > 0 && CropScaleMin <= 1)) throw new ArgumentException($"CropScaleMin must be in (0, 1], got {CropScaleMin}.");
        return this;
    }
}
