#!/usr/bin/env bash
# npm start: build, package ranklens.vsix, and open it in a real VS Code on the bundled sample workspace —
# the user's own `code` when it is on PATH, else code-server on 127.0.0.1 (installed by setup-code-server.sh).
# `npm start -- --check` (or RANKLENS_START_CHECK=1 npm start): always code-server; start it, check in headless
# Chromium that the printed URL serves the workbench with RankLens active, print the URL, stop and exit 0.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CHECK=${RANKLENS_START_CHECK:-}
for arg in "$@"; do
  case "$arg" in
    --check) CHECK=1 ;;
    *) echo "npm start: unknown option $arg (only --check)" >&2; exit 2 ;;
  esac
done
node scripts/build.mjs --production
node scripts/package-vsix.mjs
WORKSPACE=${RANKLENS_WORKSPACE:-$ROOT/sample-workspace}
if [ -z "$CHECK" ] && command -v code >/dev/null 2>&1 && [ -z "${RANKLENS_USE_CODE_SERVER:-}" ]; then
  code --install-extension "$ROOT/ranklens.vsix" --force
  code "$WORKSPACE"
  echo "Opened $WORKSPACE in VS Code. Run \"RankLens: Open Sample Dataset\" from the command palette."
  exit 0
fi
# Not `eval "$(... | grep)"`: that would swallow a failed install and go on without code-server.
if ! tools=$(bash scripts/setup-code-server.sh); then
  echo "npm start: installing code-server failed (its output is above)" >&2
  exit 1
fi
CODE_SERVER=$(sed -n 's/^CODE_SERVER=//p' <<<"$tools")
NODE24_BIN=$(sed -n 's/^NODE24_BIN=//p' <<<"$tools")
export CODE_SERVER NODE24_BIN
# A copy of the sample workspace, so what is done in the browser never changes the repository's files.
COPY=$(mktemp -d)/ranklens-sample
cp -r "$WORKSPACE" "$COPY"
export WORKSPACE="$COPY" VSIX="$ROOT/ranklens.vsix"
if [ -n "$CHECK" ]; then
  exec node test/e2e/codeServer.mjs check # on a free port unless PORT is set
fi
PORT="${PORT:-8080}" exec node test/e2e/codeServer.mjs serve
