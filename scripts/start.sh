#!/usr/bin/env bash
# npm start: build, package ranklens.vsix, and open it in a real VS Code on the bundled sample workspace —
# the user's own `code` when it is on PATH, else code-server on 127.0.0.1 (installed by setup-code-server.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
node scripts/build.mjs --production
node scripts/package-vsix.mjs
WORKSPACE=${RANKLENS_WORKSPACE:-$ROOT/sample-workspace}
if command -v code >/dev/null 2>&1 && [ -z "${RANKLENS_USE_CODE_SERVER:-}" ]; then
  code --install-extension "$ROOT/ranklens.vsix" --force
  code "$WORKSPACE"
  echo "Opened $WORKSPACE in VS Code. Run \"RankLens: Open Sample Dataset\" from the command palette."
  exit 0
fi
eval "$(bash scripts/setup-code-server.sh | grep -E '^(CODE_SERVER|NODE24_BIN)=' | sed 's/^/export /')"
# A copy of the sample workspace, so what is done in the browser never changes the repository's files.
COPY=$(mktemp -d)/ranklens-sample
cp -r "$WORKSPACE" "$COPY"
WORKSPACE="$COPY" VSIX="$ROOT/ranklens.vsix" PORT="${PORT:-8080}" exec node test/e2e/codeServer.mjs serve
