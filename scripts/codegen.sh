#!/usr/bin/env bash
# Regenerates Wolverine's pre-generated handler and endpoint adapters in src/Ledger.Api/Internal/Generated
# (the service runs them with TypeLoadMode.Static: no Roslyn at run time; ADR 20). Run it after adding, removing or
# changing an endpoint, a message handler, a validator or a policy, then commit the result:
# Tests/Codegen/GeneratedCodeTests fails while the committed files differ from a fresh generation.
#
# Generation only builds the service's container (it starts nothing and needs no database: LEDGER_DATABASE is set to
# a placeholder when unset). Old files are removed first, so an endpoint that went loses its file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export LEDGER_DATABASE=${LEDGER_DATABASE:-Host=127.0.0.1;Database=codegen}
# stale files can break the build (an endpoint's signature changed): remove them first, build without them
rm -rf src/Ledger.Api/Internal/Generated
dotnet build src/Ledger.Api/Ledger.Api.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >&2
cd src/Ledger.Api
dotnet bin/Release/net10.0/Ledger.Api.dll codegen write | grep -c "Wrote generated code file" | sed 's/$/ files written to src\/Ledger.Api\/Internal\/Generated/'
cd ../..
# the service's own build must now compile the new files in
dotnet build src/Ledger.Api/Ledger.Api.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >&2
