#!/usr/bin/env bash
# The long versions of Ledger's reliability tests (docs/reliability.md): the same tests CI runs short, with larger
# sizes read from the environment, then a table of what ran: test, injected faults, operations, outcome.
#
#   scripts/reliability.sh [--seconds N] [--clients N] [--accounts N] [--kills N] [--pg-crashes N]
#                          [--fuzz-size N] [--seed N] [--only bank|fuzz|matrix|secrets|durability|crash]
#
#   --seconds     bank test load duration (default 120)         LEDGER_BANK_SECONDS
#   --clients     bank test concurrent clients (default 24)     LEDGER_BANK_CLIENTS
#   --accounts    bank test accounts (default 6)                LEDGER_BANK_ACCOUNTS
#   --kills       kill -9 of one API process, spread over the run (default 6)   LEDGER_BANK_KILLS
#   --pg-crashes  PostgreSQL immediate stops (default 3)        LEDGER_BANK_PG_CRASHES
#   --fuzz-size   hostile values per place and random cases per operation (default 100: every value)  LEDGER_FUZZ_SIZE
#   --seed        seed for the bank test and the fuzzer (default: random, printed)  LEDGER_BANK_SEED, LEDGER_FUZZ_SEED
#   --only        run one group
#
# Builds the solution (Release) unless --no-build; uses LEDGER_TEST_DATABASE or starts the repository's private
# PostgreSQL (scripts/postgres.sh). Exit code 0 only if every test passed.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

seconds=120 clients=24 accounts=6 kills=6 pg_crashes=3 fuzz_size=100 seed="" only="" build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --accounts) accounts=$2; shift 2 ;;
        --kills) kills=$2; shift 2 ;;
        --pg-crashes) pg_crashes=$2; shift 2 ;;
        --fuzz-size) fuzz_size=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "reliability.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
seed=${seed:-$((RANDOM * 32768 + RANDOM))}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export LEDGER_BANK_SECONDS=$seconds LEDGER_BANK_CLIENTS=$clients LEDGER_BANK_ACCOUNTS=$accounts
export LEDGER_BANK_KILLS=$kills LEDGER_BANK_PG_CRASHES=$pg_crashes LEDGER_FUZZ_SIZE=$fuzz_size
export LEDGER_BANK_SEED=$seed LEDGER_FUZZ_SEED=$seed
if [[ -z "${LEDGER_TEST_DATABASE:-}" ]]; then LEDGER_TEST_DATABASE=$(bash scripts/postgres.sh start); fi
export LEDGER_TEST_DATABASE
report=$(mktemp /tmp/ledger-reliability.XXXXXX)
export LEDGER_RELIABILITY_REPORT=$report

if [[ $build -eq 1 ]]; then
    echo "reliability.sh: building (Release)" >&2
    dotnet build -c Release Ledger.sln 2>&1 | tail -2 >&2
fi

declare -A groups=(
    [matrix]="*AccessMatrixTests"
    [fuzz]="*GeneratedHostileInputTests"
    [secrets]="*SecretsInLogsTests"
    [durability]="*DurabilityGuardTests"
    [crash]="*CrashSafetyTests *OperatorWebhookCrashTests"
    [bank]="*BankTests"
)
order=(matrix fuzz secrets durability crash bank)
[[ -n "$only" ]] && order=("$only")

echo "reliability.sh: seed $seed; bank ${seconds}s, ${clients} clients, ${accounts} accounts, ${kills} kill -9, ${pg_crashes} PostgreSQL crashes; fuzz size ${fuzz_size}" >&2
failed=()
started=$SECONDS
for group in "${order[@]}"; do
    classes=${groups[$group]:?unknown group $group}
    filters=()
    for class in $classes; do filters+=(--filter-class "$class"); done
    log="$REPO_ROOT/TestResults/reliability-$group.log"
    mkdir -p "$REPO_ROOT/TestResults"
    group_started=$SECONDS
    echo "reliability.sh: $group ($classes) ..." >&2
    if dotnet test --no-build -c Release --project tests/Ledger.Api.Tests -- "${filters[@]}" --timeout 60m >"$log" 2>&1; then
        echo "reliability.sh: $group passed in $((SECONDS - group_started)) s" >&2
    else
        failed+=("$group")
        echo "reliability.sh: $group FAILED in $((SECONDS - group_started)) s (log: $log)" >&2
        grep -E "seed|LEDGER_BANK_SEED|failed " "$log" | head -5 >&2 || true
        printf '%s\t%s\t%s\t%s\n' "$group" "(see $log)" "-" "FAILED" >>"$report"
    fi
done

printf '\n%-34s | %-72s | %10s | %s\n' "test" "injected faults" "operations" "outcome"
printf '%s\n' "$(printf -- '-%.0s' {1..160})"
while IFS=$'\t' read -r test faults operations outcome; do
    printf '%-34s | %-72s | %10s | %s\n' "$test" "$faults" "$operations" "$outcome"
done <"$report"
echo
echo "total $((SECONDS - started)) s; seed $seed (rerun: scripts/reliability.sh --seed $seed ...)"
rm -f "$report"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
