#!/usr/bin/env bash
# Independent runs side by side: trainings of the notebooks' quick MAE step (one torch thread each) in one process, then
# in N processes at once (as nbssl run --parallel does). Prints images per second for each; add the N processes' rates.
# Usage: scripts/parallel-bench.sh [N=2] [STEPS=200]. Needs a quiet machine: compare the lines of one run, as ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
n=${1:-2}; steps=${2:-200}
nbssl="dotnet src/nbssl/bin/Release/net10.0/nbssl.dll"
[[ -f src/nbssl/bin/Release/net10.0/nbssl.dll ]] || dotnet build src/nbssl -c Release >/dev/null
out=$(mktemp -d)
run() { $nbssl run scripts/parallel-bench.dib --out "$out/$1" "${@:2}" > "$out/$1.log" 2>&1 || { cat "$out/$1.log"; exit 1; }
        outputs "$out/$1/parallel-bench.ipynb"; }
# the text the notebook's cells printed (not its source)
outputs() { /usr/bin/python3 -c 'import json,sys; [print("".join(o.get("text","")).rstrip()) for c in json.load(open(sys.argv[1]))["cells"] for o in c.get("outputs",[]) if o.get("output_type")=="stream"]' "$1" | grep -E "jobs one after|weights equal"; }
echo "one process:"; run seq --param jobs=$n --param steps=$steps --param check=true
echo "processes ($n processes, 1 job each):"
for i in $(seq 1 "$n"); do ( $nbssl run scripts/parallel-bench.dib --out "$out/p$i" --param jobs=1 --param steps=$steps --param check=false > "$out/p$i.log" 2>&1 ) & done
wait
for i in $(seq 1 "$n"); do outputs "$out/p$i/parallel-bench.ipynb"; done
rm -rf "$out"
