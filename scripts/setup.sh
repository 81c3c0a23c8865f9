#!/usr/bin/env bash
# Installs the Debian 12 packages Interlocutor needs to build, test and run. Idempotent and quiet
# when everything is already there. Usage: scripts/setup.sh [--test]  (--test adds test-only tools)
set -euo pipefail
build_pkgs=(build-essential cmake pkg-config libmimetic-dev libpoco-dev libsqlite3-dev libicu-dev
            libpsl-dev zlib1g-dev libpst-dev libpq-dev libssl-dev libmimalloc-dev catch2 python3 sqlite3 zip)
# Real peers the tests start themselves: Dovecot (IMAP), PostgreSQL (team mode), Chromium
# (dashboard, digest rendering), Thunderbird under Xvfb or headless (plugin), wrk (service bench),
# lintian/fakeroot (packaging), notmuch and mu (benchmarks, digest acceptance).
test_pkgs=(clang libclang-rt-14-dev dovecot-imapd pst-utils notmuch maildir-utils openssl
           postgresql chromium thunderbird xvfb xauth wrk lintian fakeroot dpkg-dev unzip
           systemd curl man-db bash-completion)
# Node.js and npm (playwright-core, web-ext, the plugin's unit tests): any nodejs >= 18 will do.
command -v npm >/dev/null 2>&1 || test_pkgs+=(nodejs npm)
pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--test" ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# Dovecot's postinst tries to start a system service; we only ever run our own test-owned instance.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
