#!/usr/bin/env bash
# Starts the Ledger API (http://127.0.0.1:5080 by default). Without LEDGER_DATABASE the service itself
# provisions the repository's private PostgreSQL (scripts/postgres.sh) before it starts.
# Arguments are passed to the API, e.g. scripts/start.sh --urls http://127.0.0.1:6000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec dotnet run --project src/Ledger.Api -c Release -- "$@"
