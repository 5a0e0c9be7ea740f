#!/usr/bin/env bash
# The main job: set up, then pretrain an MAE on Fashion-MNIST and score it with fine-tuning, a linear probe
# and k-NN against a random initialisation. Usage: scripts/main.sh [smoke|quick|full] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet run -c Release --project src/nbssl -- pretrain --size "${1:-quick}" --seed "${2:-0}" --out out/pretrain
