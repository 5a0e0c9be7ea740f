using NotebookSsl.Training;

namespace NotebookSsl.Probes;

/// <summary>The outcome of one probe: held-out top-1 accuracy and the training curve (empty for k-NN).</summary>
public sealed record ProbeResult(string Probe, double Accuracy, IReadOnlyList<StepRecord> Steps);
