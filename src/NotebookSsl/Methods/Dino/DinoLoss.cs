using NotebookSsl.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Dino;

/// <summary>
/// DINO's loss (main_dino.py, DINOLoss): the teacher's outputs, centred and sharpened (softmax((t − center) / τ_t)),
/// are the targets of the student's (log_softmax(s / τ_s)) on every OTHER crop; the cross-entropies are averaged over
/// the pairs. After each call the centre moves toward the mean teacher output: center ← m·center + (1 − m)·mean(t).
/// The centre is a buffer ("center", [1, out]) and is saved with the model. Single process: DINO's all_reduce of the
/// batch centre is not needed.
/// </summary>
public sealed class DinoLoss : Module
{
    readonly Tensor center;

    public DinoLoss(int outDim, double studentTemp = 0.1, double centerMomentum = 0.9) : base(nameof(DinoLoss))
    {
        if (!(studentTemp > 0)) throw new ArgumentOutOfRangeException(nameof(studentTemp), studentTemp, "the student temperature must be positive");
        if (centerMomentum is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(centerMomentum), centerMomentum, "the centre momentum must be in [0, 1]");
        OutDim = outDim;
        StudentTemp = studentTemp;
        CenterMomentum = centerMomentum;
        center = zeros(1, outDim);
        register_buffer("center", center);
    }

    public int OutDim { get; }
    public double StudentTemp { get; }
    public double CenterMomentum { get; }

    /// <summary>The running centre [1, out].</summary>
    public Tensor Center => center;

    /// <summary>
    /// The loss of one batch and the centre's update.
    /// </summary>
    /// <param name="student">The student's outputs per crop, each [B, out] (global crops first, then local ones).</param>
    /// <param name="teacher">The teacher's outputs per global crop, each [B, out]; row b of every crop is the same image (or point).</param>
    /// <param name="teacherTemp">τ_t of this epoch (<see cref="TeacherTemperature"/>).</param>
    /// <param name="skipSameCrop">DINO's rule: a teacher crop is not the target of the student on the same crop. Off when the
    /// student and the teacher see different views by construction (one-directional Uni-SSL: student on view 1, teacher on view 2).</param>
    public Tensor Forward(IReadOnlyList<Tensor> student, IReadOnlyList<Tensor> teacher, double teacherTemp, bool skipSameCrop = true)
    {
        if (student.Count == 0 || teacher.Count == 0) throw new ArgumentException("give at least one student and one teacher crop.");
        if (!(teacherTemp > 0)) throw new ArgumentOutOfRangeException(nameof(teacherTemp), teacherTemp, "the teacher temperature must be positive");
        foreach (var t in student.Concat(teacher))
            if (t.dim() != 2 || t.shape[1] != OutDim || t.shape[0] != student[0].shape[0])
                throw new ArgumentException($"every crop's output must be [{student[0].shape[0]}, {OutDim}], got {Shapes.Of(t)}.");

        // targets: the teacher's centred, sharpened distributions, without gradient
        var targets = teacher.Select(t => functional.softmax((t.detach() - center) / teacherTemp, dim: -1)).ToArray(); // each [B, out]
        var logProbs = student.Select(s => functional.log_softmax(s / StudentTemp, dim: -1)).ToArray();               // each [B, out]

        // cross-entropy of every student crop against every (other) teacher crop, averaged over the pairs
        Tensor? total = null;
        int terms = 0;
        for (int iq = 0; iq < targets.Length; iq++)
            for (int v = 0; v < logProbs.Length; v++)
            {
                if (skipSameCrop && v == iq) continue;
                var ce = (-targets[iq] * logProbs[v]).sum(-1).mean();   // scalar
                total = total is null ? ce : total + ce;
                terms++;
            }
        if (total is null) throw new ArgumentException("no (teacher, student) pair: with skipSameCrop give the student more crops than one.");
        var loss = total / terms;

        UpdateCenter(teacher);
        return loss;
    }

    /// <summary>center ← m·center + (1 − m)·(mean over every teacher row).</summary>
    public void UpdateCenter(IReadOnlyList<Tensor> teacher)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var all = cat(teacher.Select(t => t.detach()).ToArray(), 0);   // [crops·B, out]
        var batchCenter = all.sum(0, keepdim: true) / all.shape[0];    // [1, out]
        center.mul_(CenterMomentum).add_(batchCenter, alpha: 1 - CenterMomentum);
    }

    /// <summary>
    /// DINO's teacher temperature schedule: linear from <paramref name="warmupTemp"/> to <paramref name="temp"/> over the
    /// first <paramref name="warmupEpochs"/> epochs (np.linspace, so the last warm-up epoch already reaches temp), then temp.
    /// </summary>
    public static double TeacherTemperature(int epoch, double warmupTemp, double temp, int warmupEpochs)
    {
        if (epoch >= warmupEpochs) return temp;
        if (warmupEpochs == 1) return warmupTemp;
        return warmupTemp + (temp - warmupTemp) * epoch / (warmupEpochs - 1);
    }
}
