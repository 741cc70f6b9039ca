#!/usr/bin/env bash
# Compares builds or runtime settings on one kept rebuild database, interleaved, so a change to the rebuild carries
# before/after figures from the same machine and minute (docs/benchmarks.md). Not a test; prints a line per start.
#
#   LEDGER_BENCH_KEEP_DB=1 BENCH_ARGS="--rebuild-accounts 300 --long-events 2000" scripts/bench.sh rebuild   # once
#   scripts/rebuild-ab.sh [--rounds N] [--runs N] LABEL=DIR[,ENV=VALUE...] ...
#
# DIR is a directory holding a built Ledger.Api.dll (e.g. src/Ledger.Api/bin/Release/net10.0, or another worktree's);
# ENV=VALUE pairs are given to that start only (e.g. default=DIR pgo0=DIR,DOTNET_TieredPGO=0). Each round starts each
# variant once and asks for --runs full dry-run rebuilds (the first is the cold one); per rebuild it prints events/s
# (the service's own report), the service's CPU seconds and PostgreSQL's (all its processes, from /proc).
# LEDGER_AB_DATABASE names the database (default ledger_bench_rebuild on the private server of scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=2 runs=2
while [[ $# -gt 0 && "$1" == --* ]]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "rebuild-ab.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $# -gt 0 ]] || { sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 2; }
server=$(bash scripts/postgres.sh start)
database="${server/Database=postgres/Database=${LEDGER_AB_DATABASE:-ledger_bench_rebuild}}"
key="lk_live_ab_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port=5197
hz=$(getconf CLK_TCK)
cpu_of() { awk -v hz="$hz" '{ printf "%.0f", ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
postgres_cpu() { local total=0 p; for p in $(pgrep -x postgres); do total=$((total + $(cpu_of "$p"))); done; echo "$total"; }
root=$PWD
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2> /dev/null || true' EXIT
for round in $(seq 1 "$rounds"); do
    for variant in "$@"; do
        label=${variant%%=*}; rest=${variant#*=}
        IFS=, read -r -a parts <<< "$rest"
        dir=${parts[0]}; [[ "$dir" = /* ]] || dir="$root/$dir"
        (cd src/Ledger.Api && exec env "${parts[@]:1}" LEDGER_DATABASE="$database" LEDGER_BOOTSTRAP_ADMIN_KEY=$key \
            ASPNETCORE_URLS=http://127.0.0.1:$port dotnet "$dir/Ledger.Api.dll" > "$root/.ledger/rebuild-ab.service.log" 2>&1) &
        pid=$!
        for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$port/health/live > /dev/null && break; sleep 0.5; done
        line="round $round $label:"
        for run in $(seq 1 "$runs"); do
            service0=$(cpu_of $pid); postgres0=$(postgres_cpu)
            rate=$(curl -sf -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"dryRun":true}' \
                http://127.0.0.1:$port/v1/admin/projections/rebuild | python3 -c 'import json, sys; r = json.load(sys.stdin); print("{:,} events/s ({:,}, {} differences)".format(r["eventsPerSecond"], r["events"], r["differencesFound"]))')
            line="$line | $rate, service $(( $(cpu_of $pid) - service0 )) ms CPU, PostgreSQL $(( $(postgres_cpu) - postgres0 )) ms"
        done
        kill $pid; wait $pid 2>/dev/null || true
        pid=
        echo "$line"
    done
done
