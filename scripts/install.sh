#!/usr/bin/env bash
# Installs everything RankLens needs to build and test on a fresh Debian machine with node 20: Debian's PyTorch
# (the independent reference of the gradient and BERT cross-checks), npm packages (nothing downloaded outside the
# npm registry), then code-server + Chromium for the extension-host tests. Idempotent: what is there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/clean-npm-env.sh
source scripts/lib/clean-npm-env.sh

# /usr/bin/python3 with torch: test/unit/**/torch-reference*.test.ts compare our float64 gradients, IG attributions
# and BERT logits with PyTorch's. libopenblas0-pthread is the BLAS Debian's torch needs at import.
if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  echo "install: installing python3-torch and libopenblas0-pthread with apt (for the PyTorch cross-checks)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    python3-torch libopenblas0-pthread >&2
  /usr/bin/python3 -c 'import torch' # fails the install if torch still cannot be imported
fi

# package.json's allowScripts denies onnxruntime-node's postinstall (it would download CUDA libraries from NuGet);
# npm versions without allowScripts honour this variable instead.
export ONNXRUNTIME_NODE_INSTALL=skip
# node_modules from an earlier `npm install` (the README's first command) is kept; a fresh clone gets `npm ci`.
if [ ! -f node_modules/.package-lock.json ]; then
  clean_env npm ci --no-audit --no-fund
fi
bash scripts/setup-code-server.sh >/dev/null
bash scripts/setup-slurm.sh # slurm-wlm + munge for the real-Slurm tests (skips without root/apt)
