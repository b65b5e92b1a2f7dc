#!/usr/bin/env bash
# Installs everything RankLens needs to build and test on a fresh Debian machine with node 20: the Python venv
# (PyTorch, transformers, SciPy: the independent references of the cross-checks), npm packages (nothing downloaded
# outside the npm registry), code-server + Chromium for the extension-host tests, and Slurm for the cluster tests.
# Idempotent: what is there is kept. `npm test` runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/clean-npm-env.sh
source scripts/lib/clean-npm-env.sh

# The project's Python environment (.venv): PyTorch, HF transformers/tokenizers and SciPy are the independent
# references of the cross-checks (test/unit/**/torch-reference*.test.ts, hf-reference.test.ts).
bash scripts/setup-python.sh >/dev/null

# package.json's allowScripts denies onnxruntime-node's postinstall (it would download CUDA libraries from NuGet);
# npm versions without allowScripts honour this variable instead.
export ONNXRUNTIME_NODE_INSTALL=skip
# node_modules from an earlier `npm install` (the README's first command) is kept; a fresh clone gets `npm ci`.
if [ ! -f node_modules/.package-lock.json ]; then
  clean_env npm ci --no-audit --no-fund
fi
bash scripts/setup-code-server.sh >/dev/null
bash scripts/setup-slurm.sh # slurm-wlm + munge for the real-Slurm tests (skips without root/apt)
