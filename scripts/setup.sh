#!/usr/bin/env bash
# Installs what NotebookSsl needs from Debian's packages (when run as root and they are missing):
#   dataset-fashion-mnist   the default data (IDX files in /usr/share/datasets/fashion-mnist)
#   chromium, python3-nbformat   only for the tests (pass --tests): a report screenshot, nbformat's schema check
#   jupyter-client, python3-jupyter-kernel-test, python3-nbclient, jupyter-nbconvert, jupyter-notebook
#                           the Jupyter kernel's tests (the browser test also uses node and npm, when present)
set -euo pipefail
packages=(dataset-fashion-mnist)
[[ "${1:-}" == "--tests" ]] && packages+=(chromium python3-nbformat jupyter-client python3-jupyter-client python3-jupyter-kernel-test python3-nbclient jupyter-nbconvert jupyter-notebook)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if (( ${#missing[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: please install: sudo apt-get install ${missing[*]}" >&2; exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
