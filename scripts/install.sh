#!/usr/bin/env bash
# Installs everything RankLens needs to build and test on a fresh Debian machine with node 20:
# npm packages (no download outside the npm registry), then code-server + Chromium for the extension-host tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
bash scripts/setup-code-server.sh >/dev/null
bash scripts/setup-slurm.sh # slurm-wlm + munge for the real-Slurm tests (skips without root/apt)
