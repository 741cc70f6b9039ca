#!/usr/bin/env bash
# Makes sure a headless browser is there for the support console's browser tests (tests/Ledger.Api.Tests/SupportConsole):
# Debian's chromium, installed with apt-get when missing (CI runs as root on a fresh Debian machine). Prints the
# executable's path on standard output; progress goes to standard error.
#
#   LEDGER_CHROMIUM   use this executable instead (nothing is installed)
set -euo pipefail

if [[ -n "${LEDGER_CHROMIUM:-}" ]]; then
    [[ -x "$LEDGER_CHROMIUM" ]] || { echo "browser.sh: LEDGER_CHROMIUM=$LEDGER_CHROMIUM is not executable" >&2; exit 1; }
    echo "$LEDGER_CHROMIUM"
    exit 0
fi

if [[ ! -x /usr/bin/chromium ]]; then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "browser.sh: installing chromium with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
fi
echo /usr/bin/chromium
