#!/usr/bin/env bash
# TorchSharp vs PyTorch on the same MAE pretraining steps, in one run: the reference step (3.1M parameters, batch 128,
# THREADS threads) and the notebooks' quick step (StudySize.Quick's MAE, batch 64, one thread, as the notebooks train):
#   nbssl bench --config reference|notebook   (TorchSharp; OMP_NUM_THREADS sets libtorch's threads)
#   scripts/bench_mae_pytorch.py              (Debian's PyTorch: the official models_mae.py, same config, batch,
#                                              mask ratio, AdamW and timing; torch.set_num_threads, the same threads)
# and prints both images/s, peak RSS, their ratio, a 2048² fp32 matmul's GFLOP/s (PyTorch, same threads)
# and each step's share of that peak. The two alternate ROUNDS times (default 2) so that a change in the
# machine's load hits both; the ratio is taken per round. At the end, one table: both steps' images/s on both sides
# and both ratios, per round, and each ratio's range over the rounds; each side's best step beside its median (on a
# machine others load, the fastest step is the one they disturbed least, so the ratio of bests is the steadier one).
#
# Needs: the .NET SDK; Debian's python3-torch and libopenblas0-openmp (apt-get install -y python3-torch
# libopenblas0-openmp). /usr/bin/python3 is Debian's; a python3 earlier on PATH may lack torch.
# Usage: scripts/bench-vs-pytorch.sh [STEPS=10] [ROUNDS=2]    (THREADS=2 in the environment)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10}
rounds=${2:-2}
threads=${THREADS:-2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "Debian's PyTorch is missing: apt-get install -y python3-torch libopenblas0-openmp" >&2
  exit 2
fi
dotnet build src/nbssl -c Release -v quiet -nologo >/dev/null
nbssl=(dotnet src/nbssl/bin/Release/net10.0/nbssl.dll)

python_out=$(mktemp); summary=$(mktemp); trap 'rm -f "$python_out" "$summary"' EXIT

# one config at one thread count: TorchSharp, then PyTorch; prints a paragraph with the ratio
compare() {
  local config=$1 n=$2 ts
  ts=$(OMP_NUM_THREADS=$n "${nbssl[@]}" bench --config "$config" --steps "$steps")
  OMP_NUM_THREADS=$n /usr/bin/python3 scripts/bench_mae_pytorch.py --config "$config" --threads "$n" --steps "$steps" > "$python_out"
  TS="$ts" ROUND="$round" CONFIG="$config" /usr/bin/python3 - "$python_out" "$summary" <<'PY'
import json, os, re, sys
ts = os.environ["TS"]
pt = json.load(open(sys.argv[1]))
ts_rate = float(re.search(r"pretraining\s+([\d.]+) images/s", ts).group(1))
ts_best = float(re.search(r"best ([\d.]+)\)", ts).group(1))
ts_rss = float(re.search(r"peak memory\s+([\d.]+) MiB", ts).group(1))
ts_params = int(re.search(r"([\d,]+) parameters", ts).group(1).replace(",", ""))
ts_torch = re.search(r"(TorchSharp[^\n]*)", ts).group(1).strip()
peak, flop = pt["matmul_2048_gflops"], pt["step_gflop_per_image"]
share = lambda rate: 100 * rate * flop / peak
print(f"round {os.environ['ROUND']}: MAE {os.environ['CONFIG']} step (batch {pt['batch']}, {pt['threads']} thread(s), {ts_params:,} parameters; PyTorch counts {pt['parameters']:,})")
print(f"  TorchSharp  {ts_rate:7.1f} img/s   peak RSS {ts_rss:6.0f} MiB   {share(ts_rate):4.1f} % of the matmul peak   ({ts_torch})")
print(f"  PyTorch     {pt['images_per_s']:7.1f} img/s   peak RSS {pt['peak_rss_mib']:6.0f} MiB   {share(pt['images_per_s']):4.1f} % of the matmul peak   ({pt['framework']})")
print(f"  ratio TorchSharp / PyTorch: {ts_rate / pt['images_per_s']:.2f}x img/s, {ts_rss / pt['peak_rss_mib']:.2f}x peak RSS")
print(f"  2048² fp32 matmul (PyTorch, same threads): {peak:.1f} GFLOP/s; the step: {flop:.3f} GFLOP per image (forward matmuls x 3)")
with open(sys.argv[2], "a") as f:
    f.write(json.dumps({"round": int(os.environ["ROUND"]), "config": os.environ["CONFIG"], "threads": pt["threads"],
                        "ts": ts_rate, "pt": pt["images_per_s"], "ts_best": ts_best, "pt_best": pt["images_per_s_best"], "peak": peak}) + "\n")
PY
}

for round in $(seq 1 "$rounds"); do
  compare reference "$threads"   # the reference step
  compare notebook 1             # the notebooks' quick step, one thread
done

# both steps and both ratios, in one table
/usr/bin/python3 - "$summary" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print()
print("| step | threads | round | TorchSharp img/s (best step) | PyTorch img/s (best step) | ratio of medians | ratio of bests | matmul GFLOP/s |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['config']} | {r['threads']} | {r['round']} | {r['ts']:.0f} ({r['ts_best']:.0f}) | {r['pt']:.0f} ({r['pt_best']:.0f}) "
          f"| {r['ts'] / r['pt']:.2f}x | {r['ts_best'] / r['pt_best']:.2f}x | {r['peak']:.0f} |")
for config in dict.fromkeys(r["config"] for r in rows):
    ratios = sorted(r["ts"] / r["pt"] for r in rows if r["config"] == config)
    bests = sorted(r["ts_best"] / r["pt_best"] for r in rows if r["config"] == config)
    print(f"{config} step, TorchSharp / PyTorch img/s over {len(ratios)} round(s): medians {ratios[0]:.2f}x to {ratios[-1]:.2f}x "
          f"(middle round {ratios[len(ratios) // 2]:.2f}x); best steps {bests[0]:.2f}x to {bests[-1]:.2f}x (middle {bests[len(bests) // 2]:.2f}x)")
PY
