#!/usr/bin/env bash
# Starts the Ledger API (http://127.0.0.1:5080 by default). Without LEDGER_DATABASE it first starts the
# repository's private PostgreSQL (scripts/postgres.sh) and points the API at it.
# Arguments are passed to the API, e.g. scripts/start.sh --urls http://127.0.0.1:6000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -z "${LEDGER_DATABASE:-}" ]]; then
    bash scripts/postgres.sh start >/dev/null
    LEDGER_DATABASE=$(bash scripts/postgres.sh url)
    export LEDGER_DATABASE
fi
exec dotnet run --project src/Ledger.Api -c Release -- "$@"
