#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine with Node 20: the npm packages (better-sqlite3 builds
# from source here), then Debian's Chromium and code-server for the real-VS-Code tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
bash scripts/setup-postgres.sh
# The agent's terminal-question test answers through a real terminal, driven by tmux.
if ! command -v tmux >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y tmux \
    || { $SUDO apt-get update && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y tmux; }
fi
if [ -f scripts/install-code-server.sh ]; then bash scripts/install-code-server.sh; fi
