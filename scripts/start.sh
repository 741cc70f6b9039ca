#!/usr/bin/env bash
# Starts the Ledger API (http://127.0.0.1:5080 by default). Without LEDGER_DATABASE the service itself
# provisions the repository's private PostgreSQL (scripts/postgres.sh) before it starts.
# Arguments are passed to the API, e.g. scripts/start.sh --urls http://127.0.0.1:6000
#
# It builds the service in Release, then runs the built program directly (no `dotnet run` parent process
# holding its own memory), from src/Ledger.Api so the content root is the project's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build src/Ledger.Api/Ledger.Api.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >&2
cd src/Ledger.Api
exec dotnet bin/Release/net10.0/Ledger.Api.dll "$@"
