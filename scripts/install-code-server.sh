#!/usr/bin/env bash
# Installs what the real-VS-Code tests and `npm start` need, on Debian with Node 20:
#   - from Debian: chromium (Playwright drives it), ripgrep, and the headers code-server's native modules build with;
#   - code-server 4.100.3 (VS Code 1.100.3 in the browser; the newest release that runs on Node 20) into
#     .cache/code-server/ — its own prefix, never the project's node_modules.
# Offline-safe: code-server's @vscode/ripgrep wants to download rg from GitHub in its postinstall; we put Debian's
# rg into the cache folder it looks in first. Idempotent: does nothing when the right code-server is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.100.3
PREFIX="$PWD/.cache/code-server"
BIN="$PREFIX/node_modules/.bin/code-server"

die() {
  echo "" >&2
  echo "install-code-server: $*" >&2
  echo "install-code-server: without code-server the end-to-end tests cannot run; for the demo you can use desktop VS Code:" >&2
  echo "  npm run build && UPDATE_FLEET_SERVER_URL=http://127.0.0.1:7780 UPDATE_FLEET_TOKEN=<admin token> code --extensionDevelopmentPath=\"$PWD\"" >&2
  exit 1
}

installed_version() {
  [ -x "$BIN" ] || return 1
  # `code-server --version` prints "4.100.3 <commit> with Code 1.100.3" (its first run logs a line before it)
  "$BIN" --version 2>/dev/null | grep -Eo '^[0-9]+\.[0-9]+\.[0-9]+ [0-9a-f]{7,}' | head -n1 | awk '{print $1}'
}

# --- Debian packages -------------------------------------------------------------------------------------------
PKGS=(chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$p"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing Debian packages (${missing[*]}) and no apt-get here: install them by hand."
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing Debian packages (${missing[*]}): run as root or install sudo."
    SUDO=(sudo)
  fi
  echo "install-code-server: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists yet; refresh them when the install cannot find a package.
  if ! "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
    "${SUDO[@]}" apt-get update || die "apt-get update failed."
    "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed."
  fi
fi
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || die "chromium is not on this machine after the install."
command -v rg >/dev/null || die "ripgrep (rg) is not on this machine after the install."

# --- code-server -----------------------------------------------------------------------------------------------
if [ "$(installed_version || true)" = "$CODE_SERVER_VERSION" ]; then
  echo "install-code-server: code-server $CODE_SERVER_VERSION is already in .cache/code-server"
  exit 0
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node 20 or newer is needed (found $(node -v))."

# The ripgrep binary @vscode/ripgrep would download: Debian's rg, packed under the name it expects.
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) die "unsupported CPU $(uname -m) for the offline ripgrep trick." ;;
esac
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
RG_TARBALL="$RG_CACHE/ripgrep-v13.0.0-10-$RG_TARGET.tar.gz"
if [ ! -s "$RG_TARBALL" ]; then
  mkdir -p "$RG_CACHE"
  stage="$(mktemp -d)"
  cp "$(command -v rg)" "$stage/rg"
  tar -czf "$RG_TARBALL" -C "$stage" rg
  rm -rf "$stage"
fi

echo "install-code-server: installing code-server@$CODE_SERVER_VERSION into .cache/code-server (about a minute)…"
mkdir -p "$PREFIX"
[ -f "$PREFIX/package.json" ] || echo '{ "name": "update-fleet-code-server", "private": true }' > "$PREFIX/package.json"
# As root, code-server's postinstall refuses to run without unsafe-perm; a nested install runs `npx node-gyp`.
if ! (cd "$PREFIX" && npm_config_unsafe_perm=true npm_config_yes=true \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"); then
  die "npm install code-server@$CODE_SERVER_VERSION failed (see above). It needs the npm registry, python3, make, g++ and the Debian headers listed in this script."
fi

got="$(installed_version || true)"
[ "$got" = "$CODE_SERVER_VERSION" ] || die "code-server was installed but \`$BIN --version\` answers '${got:-nothing}', not $CODE_SERVER_VERSION."
echo "install-code-server: code-server $got is ready: $BIN"
