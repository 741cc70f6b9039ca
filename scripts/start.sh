#!/usr/bin/env bash
# Starts the Ledger API (http://127.0.0.1:5080 by default). Without LEDGER_DATABASE the service itself
# provisions the repository's private PostgreSQL (scripts/postgres.sh) before it starts.
#
#   scripts/start.sh [--reset] [service arguments, e.g. --urls http://127.0.0.1:6000]
#
# --reset starts over on an empty ledger: it drops the private database's `ledger` schema (every account, event and
# key) before starting; it refuses when LEDGER_DATABASE is set, so it never touches a database you configured.
#
# It builds the service in Release, then runs the built program directly (no `dotnet run` parent process
# holding its own memory), from src/Ledger.Api so the content root is the project's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
reset=0
if [[ "${1:-}" == "--reset" ]]; then
    reset=1
    shift
    if [[ -n "${LEDGER_DATABASE:-}" ]]; then
        echo "start.sh: --reset only resets the private local database; LEDGER_DATABASE is set, so nothing was dropped" >&2
        exit 2
    fi
fi
dotnet build src/Ledger.Api/Ledger.Api.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >&2
cd src/Ledger.Api
if [[ $reset -eq 1 ]]; then
    dotnet bin/Release/net10.0/Ledger.Api.dll db-reset --yes >&2
fi
exec dotnet bin/Release/net10.0/Ledger.Api.dll "$@"
