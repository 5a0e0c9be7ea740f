using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Probes;

/// <summary>
/// CAE's attentive probe (context-autoencoder-cae.md, §4 and appendix): a frozen encoder, then one
/// cross-attention unit whose only query is a learned class token and whose keys and values are the
/// encoder's patch tokens (no MLP, no skip connection; LayerNorms on q, k, v as in the official
/// AttentiveBlock), BatchNorm without affine parameters, one linear layer. It lets a probe pick the patches
/// that matter, which a linear probe on one pooled vector cannot. The tokens are computed once, so the probe
/// trains on them directly. Optimiser: AdamW like <see cref="LinearProbe"/> (the paper: SGD, lr 0.4 at batch 8192).
/// </summary>
public static class AttentiveProbe
{
    /// <summary>AdamW without weight decay; the linear probe's recipe (the attention unit trains as fast as the head).</summary>
    public static TrainConfig DefaultConfig { get; } = new()
    {
        Epochs = 30, BatchSize = 256, BaseLr = 2e-3, Beta2 = 0.999, WeightDecay = 0, WarmupEpochs = 2,
    };

    /// <summary>The probe on top of frozen tokens [N, T, D]: learned query → cross-attention → BatchNorm → linear.</summary>
    internal sealed class Head : Module<Tensor, Tensor>
    {
        readonly Parameter query_token;
        readonly LayerNorm norm1_q, norm1_k, norm1_v;
        readonly CrossAttention cross_attn;
        readonly BatchNorm1d bn;
        readonly Linear head;

        public Head(int width, int heads, int classes) : base(nameof(Head))
        {
            query_token = Parameter(zeros(1, 1, width));
            norm1_q = LayerNorm(width, eps: 1e-6);
            norm1_k = LayerNorm(width, eps: 1e-6);
            norm1_v = LayerNorm(width, eps: 1e-6);
            cross_attn = new CrossAttention(width, heads);
            bn = BatchNorm1d(width, eps: 1e-6, affine: false);
            head = Init.Linear(width, classes);
            RegisterComponents();
            Init.MaeWeights(cross_attn);
            using var _ = no_grad();
            Init.TruncNormal(query_token, 0.02);
            Init.TruncNormal(head.weight!, 0.01);
            init.zeros_(head.bias!);
        }

        /// <summary>The pooled feature [N, D] and the query's attention over the tokens [N, heads, 1, T] (when asked).</summary>
        public (Tensor Pooled, Tensor? Map) Pool(Tensor tokens, bool returnMap = false)
        {
            var query = query_token.expand(tokens.shape[0], -1, -1);                           // [N, 1, D]
            var (pooled, map) = cross_attn.Forward(norm1_q.forward(query), norm1_k.forward(tokens), norm1_v.forward(tokens), returnMap); // [N, 1, D]
            return (pooled[.., 0, ..], map);                                                   // [N, D]
        }

        public override Tensor forward(Tensor tokens) => head.forward(bn.forward(Pool(tokens).Pooled)); // [N, classes]
    }

    /// <summary>Frozen patch tokens [N, L, D] (after the encoder's final norm, cls token dropped), in batches without gradients.</summary>
    public static Tensor Tokens(VisionTransformer encoder, Tensor images, int batchSize = 256) =>
        Features.OfLatents(encoder, images, latent => latent[.., 1..].contiguous(), batchSize); // [N, L, D]

    public static ProbeResult Run(VisionTransformer encoder, Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels,
        int numClasses, TrainConfig? config = null, Action<StepRecord>? onStep = null)
    {
        using var trainTokens = Tokens(encoder, trainImages); // [N, L, D]
        using var testTokens = Tokens(encoder, testImages);   // [M, L, D]
        return OnTokens(trainTokens, trainLabels, testTokens, testLabels, numClasses, encoder.Config.Heads, config, onStep);
    }

    /// <summary>The probe on tokens already extracted ([N, T, D] and [M, T, D]); <paramref name="heads"/> must divide D.</summary>
    public static ProbeResult OnTokens(Tensor trainTokens, Tensor trainLabels, Tensor testTokens, Tensor testLabels,
        int numClasses, int heads = 1, TrainConfig? config = null, Action<StepRecord>? onStep = null)
    {
        if (trainTokens.dim() != 3 || testTokens.dim() != 3 || trainTokens.shape[2] != testTokens.shape[2])
            throw new ArgumentException($"Tokens must be [N, T, D] and [M, T', D], got {Shapes.Of(trainTokens)} and {Shapes.Of(testTokens)}.");
        if (numClasses < 2) throw new ArgumentException($"A probe needs at least 2 classes, got {numClasses}.");
        config ??= DefaultConfig;
        using var probe = Seeds.Build(config.Seed, () => new Head((int)trainTokens.shape[2], heads, numClasses));
        var steps = Trainer.Steps(probe, trainTokens, trainLabels,
                     (x, y, _) => functional.cross_entropy(probe.forward(x), y!), config)
            .Collect(onStep);
        probe.eval();
        return new ProbeResult("attentive", Features.Accuracy(probe.forward, testTokens, testLabels), steps);
    }
}
