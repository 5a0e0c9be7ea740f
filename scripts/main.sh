#!/usr/bin/env bash
# The main job: set up, then pretrain an MAE on Fashion-MNIST and score it with fine-tuning, a linear probe
# and k-NN against a random initialisation. Usage: scripts/main.sh [smoke|quick|full] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
# libtorch's OpenMP threads spin while they wait; on a busy 2-core machine that makes training 20-50x slower
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
bash scripts/setup.sh
dotnet run -c Release --project src/nbssl -- pretrain --size "${1:-quick}" --seed "${2:-0}" --out out/pretrain
