#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine with Node 20: the npm packages (better-sqlite3 builds
# from source here), PostgreSQL, wrk, then Debian's Chromium and code-server for the real-VS-Code tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
bash scripts/setup-postgres.sh
# wrk: the load generator of the scale benchmark (npm run bench:scale), from Debian.
if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y wrk || { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y wrk; }
fi
if [ -f scripts/install-code-server.sh ]; then bash scripts/install-code-server.sh; fi
