#!/usr/bin/env bash
# THE test command: builds the solution once (Release), makes sure a PostgreSQL server is available,
# runs every test project (tests/*/*.csproj, and clients/*/*.Tests/*.csproj: the client libraries' tests, which also
# run the TypeScript and Python clients' suites, installing their npm tools with `npm ci`) and ends with exactly one line:
#
#   N passed, N failed[, N skipped]
#
# Exit code: 0 only if the build succeeded, every project ran and no test failed.
# A project that did not run or did not finish (build failure, crash, timeout) counts as one more
# failure in that line, so the line never reads "0 failed" on a red run. A project with zero tests is reported
# but is not a failure.
#
# Each project runs with `dotnet test --no-build` on Microsoft.Testing.Platform (global.json selects
# it); xunit.v3 writes a TRX report per project to TestResults/<project>/<project>.trx and the counts
# come from its <Counters> element (skipped = notExecuted; failed = failed + error + timeout + aborted).
# Not xunit's XML report: in xunit.v3 4.0.2 it records a bogus fatal "Duplicate attribute" error per
# test when an assembly fixture fails, which would double-count.
#
# Environment:
#   LEDGER_TEST_DATABASE   use this server for database tests (otherwise: Testcontainers if Docker
#                          answers, else the private cluster from scripts/postgres.sh)
#   LEDGER_TEST_TIMEOUT    per-project time limit for MTP's --timeout (default 30m)
#   LEDGER_TEST_HARD_TIMEOUT  per-project limit after which the test processes are killed (default 35m)
#   LEDGER_TEST_ARGS       extra arguments passed to every `dotnet test` (e.g. "--filter-class X")
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
RESULTS_ROOT="$REPO_ROOT/TestResults"
TIMEOUT=${LEDGER_TEST_TIMEOUT:-30m}
HARD_TIMEOUT=${LEDGER_TEST_HARD_TIMEOUT:-35m}
read -r -a EXTRA_ARGS <<<"${LEDGER_TEST_ARGS:-}"

total_passed=0 total_failed=0 total_skipped=0
problems=() failures=()
run_started=$SECONDS

section() { printf '\n==== %s ====\n' "$*"; }

finish() {
    local code=$1
    if [[ ${#failures[@]} -gt 0 ]]; then
        section "failed tests"
        printf '  %s\n' "${failures[@]}"
    fi
    if [[ ${#problems[@]} -gt 0 ]]; then
        section "problems"
        printf '  - %s\n' "${problems[@]}"
    fi
    printf '\n(total %d s)\n' "$((SECONDS - run_started))"
    local line="$total_passed passed, $total_failed failed"
    [[ $total_skipped -gt 0 ]] && line+=", $total_skipped skipped"
    echo "$line"
    exit "$code"
}

# Reads one attribute of the <Counters .../> element of a TRX report (0 if absent).
trx_count() {
    local file=$1 name=$2 value
    value=$(grep -o '<Counters [^>]*>' "$file" | head -n 1 | grep -o " $name=\"[0-9]*\"" | grep -o '[0-9]\+' || true)
    echo "${value:-0}"
}

# Reads one count ("total", "failed", "succeeded", "skipped") from MTP's "Test run summary" output.
mtp_count() {
    local file=$1 name=$2 value
    value=$(sed -n '/^Test run summary/,$p' "$file" | grep -o "^  $name: [0-9]*" | head -n 1 | grep -o '[0-9]\+' || true)
    echo "${value:-0}"
}

# Names the failed tests of a TRX report (the first 20) with the first lines of their messages, so the end of a red run's output says
# what failed (a CI log is often read from its tail). Falls back to MTP's "failed" lines when python3 is missing.
failed_tests() {
    local trx=$1 console=$2
    if command -v python3 >/dev/null 2>&1 && [[ -s "$trx" ]]; then
        python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
failed = [r for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns) if r.get("outcome") not in ("Passed", "NotExecuted")]
for r in failed[:20]:
    print(f"{r.get('testName')} ({r.get('outcome')}, {r.get('duration')})")
    message = r.find("t:Output/t:ErrorInfo/t:Message", ns)
    for line in ((message.text or "") if message is not None else "").strip().splitlines()[:6]:
        print(f"      {line[:300]}")
if len(failed) > 20:
    print(f"... and {len(failed) - 20} more (the TRX report names them all)")
PY
    else
        grep -E '^\s*failed ' "$console" | head -n 20 || true
    fi
}

# ---- build ------------------------------------------------------------------------------------
section "build (Release)"
started=$SECONDS
if ! dotnet build Ledger.sln -c Release -nologo -v minimal; then
    problems+=("build failed")
    total_failed=$((total_failed + 1))
    finish 1
fi
echo "build: $((SECONDS - started)) s"

# ---- PostgreSQL -------------------------------------------------------------------------------
section "PostgreSQL"
started=$SECONDS
if ! pg_url=$(bash scripts/postgres.sh start); then
    problems+=("scripts/postgres.sh start failed (see .ledger/postgres/server.log)")
    total_failed=$((total_failed + 1))
    finish 1
fi
if [[ -n "${LEDGER_TEST_DATABASE:-}" ]]; then
    echo "LEDGER_TEST_DATABASE already set: tests use it"
elif command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
    echo "a Docker engine answers: tests may use Testcontainers"
else
    export LEDGER_TEST_DATABASE="$pg_url"
    echo "no Docker engine: tests use the local server ($pg_url)"
fi
echo "postgres: $((SECONDS - started)) s"

# ---- browser ----------------------------------------------------------------------------------
# The support console's browser tests drive Debian's chromium; scripts/browser.sh installs it when missing. A failure
# here is not counted: those tests fail on their own, naming the problem.
section "browser"
started=$SECONDS
if chromium_path=$(bash scripts/browser.sh); then
    echo "chromium: $chromium_path"
else
    problems+=("scripts/browser.sh could not provide chromium: the console's browser tests will fail")
fi
echo "browser: $((SECONDS - started)) s"

# ---- tests ------------------------------------------------------------------------------------
shopt -s nullglob
projects=(tests/*/*.csproj clients/*/*.Tests/*.csproj)
shopt -u nullglob
[[ ${#projects[@]} -gt 0 ]] || { problems+=("no test projects under tests/"); total_failed=$((total_failed + 1)); finish 1; }

summaries=()
for project in "${projects[@]}"; do
    name=$(basename "$project" .csproj)
    results="$RESULTS_ROOT/$name"
    rm -rf "$results"
    mkdir -p "$results"
    section "$name"
    started=$SECONDS
    set +e
    # MTP's --timeout cancels the session but cannot stop a test that ignores cancellation (e.g. a
    # deadlock); coreutils timeout kills the whole process group as a backstop.
    timeout --kill-after=30s "$HARD_TIMEOUT" dotnet test --no-build -c Release --project "$project" \
        --results-directory "$results" \
        --report-xunit-trx --report-xunit-trx-filename "$name.trx" \
        --timeout "$TIMEOUT" --no-progress "${EXTRA_ARGS[@]}" 2>&1 | tee "$results/console.log"
    rc=${PIPESTATUS[0]}
    set -e
    seconds=$((SECONDS - started))

    trx="$results/$name.trx"
    note=""
    if [[ -s "$trx" ]] && grep -q '<Counters ' "$trx"; then
        passed=$(trx_count "$trx" passed)
        failed=$(( $(trx_count "$trx" failed) + $(trx_count "$trx" error) + $(trx_count "$trx" timeout) + $(trx_count "$trx" aborted) ))
        skipped=$(trx_count "$trx" notExecuted)
        total=$(trx_count "$trx" total)
    elif grep -q '^Test run summary' "$results/console.log"; then
        # No report (the test process crashed or was killed): take MTP's own summary.
        passed=$(mtp_count "$results/console.log" succeeded)
        failed=$(mtp_count "$results/console.log" failed)
        skipped=$(mtp_count "$results/console.log" skipped)
        total=$(mtp_count "$results/console.log" total)
        note=" (no report)"
    else
        what="did not run (exit code $rc)"
        [[ $rc -ne 124 && $rc -ne 137 ]] || what="killed after $HARD_TIMEOUT (LEDGER_TEST_HARD_TIMEOUT)"
        problems+=("$name $what")
        summaries+=("$(printf '%-28s %s, %d s' "$name" "$what" "$seconds")")
        total_failed=$((total_failed + 1))
        continue
    fi
    case $rc in
        0) ;;
        2) [[ $failed -gt 0 ]] || failed=1 ;;
        8) note+=" (ZERO TESTS)" ;;
        *)
            # Crashed, aborted or timed out: counts may be partial, and the run counts as one more failure.
            problems+=("$name did not finish: exit code $rc (https://aka.ms/testingplatform/exitcodes)")
            failed=$((failed + 1))
            note+=" (DID NOT FINISH, exit code $rc)"
            ;;
    esac
    if [[ $failed -gt 0 ]]; then
        while IFS= read -r line; do failures+=("$name: $line"); done < <(failed_tests "$trx" "$results/console.log")
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    total_skipped=$((total_skipped + skipped))
    summaries+=("$(printf '%-28s %4d total, %4d passed, %3d failed, %3d skipped, %4d s%s' \
        "$name" "$total" "$passed" "$failed" "$skipped" "$seconds" "$note")")
done

section "summary"
printf '  %s\n' "${summaries[@]}"
echo "  reports: TestResults/<project>/<project>.trx and console.log"

if [[ $total_failed -gt 0 ]]; then finish 1; fi
finish 0
