namespace NotebookSsl.Training;

/// <summary>MAE's util/lr_sched.py: linear warmup, then a half-cycle cosine to MinLr, evaluated per step.</summary>
public static class LrSchedule
{
    /// <param name="epoch">Fractional epoch: epoch + step / stepsPerEpoch.</param>
    public static double At(double epoch, TrainConfig config)
    {
        double peak = config.PeakLr;
        if (epoch < config.WarmupEpochs) return peak * epoch / config.WarmupEpochs;
        double span = Math.Max(config.Epochs - config.WarmupEpochs, 1e-12);
        return config.MinLr + (peak - config.MinLr) * 0.5 * (1 + Math.Cos(Math.PI * (epoch - config.WarmupEpochs) / span));
    }
}
