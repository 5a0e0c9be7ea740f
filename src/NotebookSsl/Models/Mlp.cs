using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>fc1 → GELU → fc2 (timm's Mlp, without dropout).</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    readonly Linear fc1, fc2;
    readonly GELU act = GELU();

    public Mlp(int width, int hidden) : base(nameof(Mlp))
    {
        fc1 = Init.Linear(width, hidden);
        fc2 = Init.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.forward(act.forward(fc1.forward(x)));
}
