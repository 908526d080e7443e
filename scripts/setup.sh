#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine with Node 20: the npm packages (better-sqlite3 builds
# from source here), then Debian's Chromium and code-server for the real-VS-Code tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
bash scripts/setup-postgres.sh
if [ -f scripts/install-code-server.sh ]; then bash scripts/install-code-server.sh; fi
