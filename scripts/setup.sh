#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine with Node 20: the npm packages (better-sqlite3 builds
# from source here), PostgreSQL, wrk, then Debian's Chromium and code-server for the real-VS-Code tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
bash scripts/setup-postgres.sh
# Debian tools the tests and benchmarks use: tmux (the agent's terminal-question test answers through a real
# terminal), strace (the agent's fsync test watches a real agent's system calls), wrk (the load generator of
# npm run bench:scale) and openssl (the TLS tests make a private CA with it).
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
for tool in tmux strace wrk openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "$tool" \
      || { $SUDO apt-get update && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "$tool"; }
  fi
done
if [ -f scripts/install-code-server.sh ]; then bash scripts/install-code-server.sh; fi
