#!/usr/bin/env bash
# Every test: the xunit suites, then every notebook under notebooks/ at size smoke through nbssl.
set -uo pipefail
cd "$(dirname "$0")/.."
# libtorch's OpenMP threads spin while they wait; on a busy 2-core machine that makes training 20-50x slower
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
bash scripts/setup.sh --tests || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log=$(mktemp)
dotnet build NotebookSsl.sln -c Release 2>&1 | tail -3
dotnet test NotebookSsl.sln -c Release --no-build 2>&1 | tee "$log" | grep -vE '^\s*$'
status=${PIPESTATUS[0]}
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')

# the Jupyter kernel against real Jupyter clients: the conformance suite (C# and F#), signatures, interrupt,
# restart, and notebooks 00 and 01 through `jupyter nbconvert --execute` (tests/kernel/test_conformance.py)
kernel_log=$(mktemp)
/usr/bin/python3 tests/kernel/test_conformance.py > "$kernel_log" 2>&1
grep -E '^(test_|  test_|FAIL:|ERROR:|AssertionError|timing:|kernel tests:)' "$kernel_log"
k_passed=$(grep -oE '^kernel tests: [0-9]+ passed' "$kernel_log" | grep -oE '[0-9]+' || true)
k_failed=$(grep -oE '^kernel tests: [0-9]+ passed, [0-9]+ failed' "$kernel_log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
if [[ -z "$k_passed" || -z "$k_failed" ]]; then
  echo "kernel tests did not finish:"; tail -20 "$kernel_log"; k_passed=0; k_failed=1
fi
passed=$((passed + k_passed)); failed=$((failed + k_failed))
rm -f "$kernel_log"

# notebooks, each in its own process, at size smoke
nb_passed=0; nb_failed=0
for nb in notebooks/*.ipynb; do
  [[ -e "$nb" ]] || continue
  if dotnet run -c Release --no-build --project src/nbssl -- run "$nb" --param size=smoke --out out/ci; then
    nb_passed=$((nb_passed + 1))
  else
    echo "notebook failed: $nb"; nb_failed=$((nb_failed + 1))
  fi
done
# the main job at size smoke
if dotnet run -c Release --no-build --project src/nbssl -- pretrain --size smoke --out out/ci/pretrain; then
  nb_passed=$((nb_passed + 1))
else
  echo "nbssl pretrain --size smoke failed"; nb_failed=$((nb_failed + 1))
fi
echo "notebooks and main job: $nb_passed passed, $nb_failed failed"

(( status == 0 && failed == 0 && nb_failed == 0 )) && rc=0 || rc=1
(( rc == 0 && passed == 0 )) && { echo "no test ran"; rc=1; }
echo "$((passed + nb_passed)) passed, $((failed + nb_failed)) failed"
exit $rc
