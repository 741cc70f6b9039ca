#!/usr/bin/env bash
# The benchmarks (docs/benchmarks.md): measured figures and ratios against baselines measured in the same run,
# on this machine, with the service, PostgreSQL and the load generator sharing it. Not tests: a missed target
# prints MISS; only a broken correctness check (e.g. exactly-once) fails the run.
#
#   scripts/bench.sh [scenario...]      default: every scenario (bench/Ledger.Benchmarks: `list`):
#                                       distinct, hot, balance, webhooks, rebuild
#
# For each scenario: pgbench baselines on a scratch database (before the service starts, so nothing else
# competes), a fresh database, the service started in Release from its built dll, the scenario, the results
# table (also appended to .ledger/bench/<run>/results.md), the service stopped. Service output goes to
# .ledger/bench/<run>/<scenario>.service.log.
#
# Environment:
#   BENCH_ARGS               extra harness options, e.g. "--clients 64 --webhooks-events 10000 --baseline-seconds 30";
#                            phase lengths: --seconds (max rate, 15), --latency-seconds (half rate, 15),
#                            --warmup-seconds (3), --baseline-seconds (15); sizes: docs/benchmarks.md
#   LEDGER_BENCH_PORT        the service's port (default: the first free one from 5180)
#   LEDGER_BENCH_KEEP_DB=1   keep the scenario databases after the run (to look at them)
# The service inherits the rest of the environment, e.g. DOTNET_gcServer=0 to measure a variation.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "bench.sh: $*" >&2; }
die() { log "error: $*"; exit 2; }
section() { printf '\n==== %s ====\n' "$*"; }

read -r -a BENCH_OPTIONS <<<"${BENCH_ARGS:-}"
RUN_DIR="$REPO_ROOT/.ledger/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN_DIR"
SERVICE_PID=""

stop_service() {
    [[ -n "$SERVICE_PID" ]] || return 0
    if kill -0 "$SERVICE_PID" 2>/dev/null; then
        kill -TERM "$SERVICE_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVICE_PID" 2>/dev/null || true
    fi
    wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=""
}
trap stop_service EXIT
trap 'exit 130' INT TERM

# ---- build ------------------------------------------------------------------------------------
section "build (Release)"
dotnet build src/Ledger.Api/Ledger.Api.csproj -c Release -nologo -v quiet -clp:ErrorsOnly || die "service build failed"
dotnet build bench/Ledger.Benchmarks/Ledger.Benchmarks.csproj -c Release -nologo -v quiet -clp:ErrorsOnly || die "bench build failed"
SERVICE_DLL="$REPO_ROOT/src/Ledger.Api/bin/Release/net10.0/Ledger.Api.dll"
BENCH_DLL="$REPO_ROOT/bench/Ledger.Benchmarks/bin/Release/net10.0/Ledger.Benchmarks.dll"
bench() { dotnet "$BENCH_DLL" "$@"; }

if [[ $# -gt 0 ]]; then scenarios=("$@"); else mapfile -t scenarios < <(bench list); fi

# ---- PostgreSQL -------------------------------------------------------------------------------
section "PostgreSQL"
pg_url=$(bash scripts/postgres.sh start) || die "scripts/postgres.sh start failed"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$PG_BIN/pgbench" ]] || die "pgbench not found under /usr/lib/postgresql/*/bin"
pg_port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$pg_url")
psql_admin() { PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres "$@"; }
database_url() { sed "s/Database=[^;]*/Database=$1/" <<<"$pg_url"; }
fresh_database() { psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; }
echo "$pg_url"

# ---- is the machine quiet? -------------------------------------------------------------------
# Every figure shares these cores; another test run at the same time depresses them all (the harness also
# reports, per phase, the CPU share other processes took).
cpu_busy_percent() {
    local a b
    read -r -a a < <(head -n 1 /proc/stat); sleep 2; read -r -a b < <(head -n 1 /proc/stat)
    local total=0 idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
busy=$(cpu_busy_percent)
if [[ $busy -gt 10 ]]; then
    log "warning: the machine is already ${busy}% busy before the run; figures will read low"
fi

# ---- header -----------------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z "$(git status --porcelain -- src 2>/dev/null)" ]] || commit+=" (+ uncommitted changes in src/)"
{
    echo "## $(date -u +%Y-%m-%d) — commit $commit"
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM," \
        "$("$PG_BIN/postgres" --version), .NET $(dotnet --version). Command: \`scripts/bench.sh ${*:-}\`${BENCH_ARGS:+ with BENCH_ARGS=\"$BENCH_ARGS\"}." \
        "CPU busy before the run: ${busy}%."
    echo
} >"$RUN_DIR/results.md"

status=0
for scenario in "${scenarios[@]}"; do
    # ---- baselines (before the service starts) ------------------------------------------------
    section "$scenario: baselines (pgbench)"
    fresh_database ledger_bench_baselines
    bench baselines "$scenario" --pgbench "$PG_BIN/pgbench" --database "$(database_url ledger_bench_baselines)" \
        --out "$RUN_DIR/$scenario.baselines.json" "${BENCH_OPTIONS[@]}"
    [[ -n "${LEDGER_BENCH_KEEP_DB:-}" ]] || psql_admin -c "DROP DATABASE ledger_bench_baselines WITH (FORCE)"

    # ---- the service ----------------------------------------------------------------------------
    section "$scenario: service"
    db="ledger_bench_${scenario//[^a-z0-9]/_}"
    fresh_database "$db"
    port=${LEDGER_BENCH_PORT:-5180}
    if [[ -z "${LEDGER_BENCH_PORT:-}" ]]; then
        while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    fi
    service_url="http://127.0.0.1:$port"
    admin_key="lk_live_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    webhook_secret="whsec_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    service_log="$RUN_DIR/$scenario.service.log"
    # From its own directory, as a deployed service runs: the content root is the working directory, so started
    # from here the service would not find its appsettings.json (its log levels) and would log every request.
    database=$(database_url "$db")
    (
        cd "$(dirname "$SERVICE_DLL")"
        LEDGER_DATABASE="$database" \
            LEDGER_BOOTSTRAP_ADMIN_KEY="$admin_key" \
            LEDGER_STRIPE_WEBHOOK_SECRET="$webhook_secret" \
            LEDGER_RATE_LIMITS=off \
            ASPNETCORE_URLS="$service_url" \
            exec dotnet "$SERVICE_DLL"
    ) >"$service_log" 2>&1 &
    SERVICE_PID=$!
    ready=""
    for _ in $(seq 1 600); do
        kill -0 "$SERVICE_PID" 2>/dev/null || break
        if curl -fsS -o /dev/null --max-time 2 "$service_url/health/ready" 2>/dev/null; then ready=1; break; fi
        sleep 0.1
    done
    if [[ -z "$ready" ]]; then
        tail -n 30 "$service_log" >&2
        die "the service did not become ready on $service_url (log: $service_log)"
    fi
    echo "service pid $SERVICE_PID on $service_url (log: $service_log)"

    # ---- the scenario ---------------------------------------------------------------------------
    section "$scenario: run"
    rc=0
    bench run "$scenario" --service "$service_url" --service-pid "$SERVICE_PID" --admin-key "$admin_key" \
        --webhook-secret "$webhook_secret" --database "$(database_url "$db")" \
        --baselines "$RUN_DIR/$scenario.baselines.json" --report "$RUN_DIR/results.md" "${BENCH_OPTIONS[@]}" || rc=$?
    stop_service
    [[ -n "${LEDGER_BENCH_KEEP_DB:-}" ]] || psql_admin -c "DROP DATABASE $db WITH (FORCE)"

    # Errors the service logged: the benchmark passes valid requests only, so any is worth a look.
    errors=$(grep -c -E '^(fail|crit):' "$service_log" || true)
    warnings=$(grep -c -E '^warn:' "$service_log" || true)
    echo "service log: $errors error(s), $warnings warning(s) ($service_log)"
    [[ $errors -eq 0 ]] || grep -m 3 -A 2 -E '^(fail|crit):' "$service_log" || true
    case $rc in
        0) ;;
        1) log "$scenario: a correctness check FAILED"; status=1 ;;
        *) log "$scenario: the harness failed (exit code $rc)"; status=1 ;;
    esac
done

section "results ($RUN_DIR/results.md)"
cat "$RUN_DIR/results.md"
exit $status
