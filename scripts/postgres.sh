#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, built from the machine's binaries
# (no Docker needed).
#
#   scripts/postgres.sh start    start it (initdb on first use); prints the connection string
#   scripts/postgres.sh stop     stop it (pg_ctl -m fast)
#   scripts/postgres.sh crash    stop it as a power cut would (pg_ctl -m immediate: no checkpoint, crash
#                                recovery on the next start); for reliability tests
#   scripts/postgres.sh status   exit 0 if it is running, 3 if not
#   scripts/postgres.sh url      print the Npgsql connection string
#
# State lives in the repository's git-ignored .ledger/postgres/ ($LEDGER_PG_HOME instead, for a second,
# private cluster, e.g. one a test may crash):
#   data/        the cluster (PGDATA)
#   run/         its Unix socket directory
#   port         the TCP port it listens on (127.0.0.1 only)
#   server.log   the server log
#
# Port: $LEDGER_PG_PORT if set (fails if busy); otherwise 55432, or upward from there until a
# free one is found.
#
# PostgreSQL refuses to run as root. When this script runs as root, initdb and the server run
# as the `postgres` user and .ledger/postgres is owned by that user. .ledger and .ledger/postgres
# are made traversable (o+x) for it; permissions of directories ABOVE the repository are never
# changed. If `postgres` still cannot reach .ledger/postgres (e.g. the repository sits under a
# 0700 home directory), the cluster lives in /tmp/ledger-postgres-<hash of the repository path>/
# instead, and .ledger/postgres keeps only the port file and a server.log symlink.
#
# Settings: trust authentication (any password is accepted), max_connections=300,
# shared_buffers=256MB, fsync and synchronous_commit on (durability stays honest, so timings
# measured against this server mean something). idle_in_transaction_session_timeout is not set
# (PostgreSQL's default, off).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
PG_HOME="${LEDGER_PG_HOME:-$REPO_ROOT/.ledger/postgres}"
PORT_FILE="$PG_HOME/port"
DEFAULT_PORT=55432
PORT_SCAN_LIMIT=200

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $(id -u) -eq 0 ]]; then AS_ROOT=1; else AS_ROOT=0; fi

# Run a command as the user that owns the cluster, from / (the postgres user may not be able
# to read the caller's working directory), never inheriting the lock descriptor (fd 9): the
# postmaster would otherwise hold the start lock for as long as it lives.
run_pg() {
    if [[ $AS_ROOT -eq 1 ]]; then
        (cd / && runuser -u postgres -- "$@") 9>&-
    else
        (cd / && "$@") 9>&-
    fi
}

# ---------------------------------------------------------------------------------------------
# Binaries
# ---------------------------------------------------------------------------------------------
has_server_binaries() { [[ -n "$1" && -x "$1/pg_ctl" && -x "$1/initdb" && -x "$1/postgres" ]]; }

# Prints the bin directory of the PostgreSQL server binaries, or nothing.
find_bindir() {
    local d ver
    # An existing cluster must keep running on its own major version.
    if [[ -n "${DATA_DIR:-}" && -r "$DATA_DIR/PG_VERSION" ]]; then
        ver=$(cat "$DATA_DIR/PG_VERSION")
        d="/usr/lib/postgresql/$ver/bin"
        if has_server_binaries "$d"; then echo "$d"; return; fi
    fi
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        if has_server_binaries "$d"; then echo "$d"; return; fi
    fi
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if has_server_binaries "$d"; then echo "$d"; return; fi
    if command -v pg_ctl >/dev/null 2>&1; then
        d=$(dirname "$(command -v pg_ctl)")
        if has_server_binaries "$d"; then echo "$d"; return; fi
    fi
}

install_postgres() {
    log "no PostgreSQL server binaries found; installing the 'postgresql' package with apt-get"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not available: install PostgreSQL server binaries yourself"
    local sudo=()
    [[ $AS_ROOT -eq 1 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
}

require_bindir() {
    BINDIR=$(find_bindir)
    if [[ -z "$BINDIR" ]]; then
        install_postgres
        BINDIR=$(find_bindir)
        [[ -n "$BINDIR" ]] || die "PostgreSQL server binaries still not found after installing"
    fi
}

# ---------------------------------------------------------------------------------------------
# Directories
# ---------------------------------------------------------------------------------------------
# Sets STATE_DIR (data/, run/ and the real server.log live there), DATA_DIR, SOCK_DIR, LOG_FILE.
set_state_dir() {
    STATE_DIR="$1"
    DATA_DIR="$STATE_DIR/data"
    SOCK_DIR="$STATE_DIR/run"
    LOG_FILE="$STATE_DIR/server.log"
}

fallback_state_dir() {
    local hash
    hash=$(printf '%s' "${LEDGER_PG_HOME:-$REPO_ROOT}" | sha256sum | cut -c1-12)
    echo "/tmp/ledger-postgres-$hash"
}

# Read-only resolution for status/url/stop: where does an existing cluster live?
locate_dirs() {
    local fb
    fb=$(fallback_state_dir)
    if [[ -L "$PG_HOME/server.log" || (! -d "$PG_HOME/data" && -d "$fb/data") ]]; then
        set_state_dir "$fb"
    else
        set_state_dir "$PG_HOME"
    fi
}

ensure_postgres_user() {
    id postgres >/dev/null 2>&1 && return
    log "creating system user 'postgres' (PostgreSQL refuses to run as root)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin postgres
}

# Creates the directories, owned by the cluster user, choosing the fallback if needed.
prepare_dirs() {
    mkdir -p "$PG_HOME"
    if [[ $AS_ROOT -eq 1 ]]; then
        ensure_postgres_user
        chmod o+x "$REPO_ROOT/.ledger"
        chown postgres: "$PG_HOME"
        chmod 0755 "$PG_HOME"
        if run_pg test -w "$PG_HOME" -a -x "$PG_HOME"; then
            set_state_dir "$PG_HOME"
        else
            local fb
            fb=$(fallback_state_dir)
            log "user postgres cannot reach $PG_HOME (a directory above the repository is not"
            log "traversable); keeping the cluster in $fb instead"
            mkdir -p "$fb"
            chown postgres: "$fb"
            chmod 0755 "$fb"
            set_state_dir "$fb"
            run_pg touch "$LOG_FILE"
            ln -sfn "$LOG_FILE" "$PG_HOME/server.log"
        fi
    else
        set_state_dir "$PG_HOME"
    fi
    run_pg mkdir -p "$SOCK_DIR"
    run_pg chmod 0755 "$SOCK_DIR"
    run_pg touch "$LOG_FILE"
}

# ---------------------------------------------------------------------------------------------
# Cluster
# ---------------------------------------------------------------------------------------------
is_running() {
    [[ -n "${BINDIR:-}" && -f "$DATA_DIR/postmaster.pid" ]] || return 1
    run_pg "$BINDIR/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

# The port of the running postmaster (line 4 of postmaster.pid).
running_port() { sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null; }

init_cluster() {
    # A data directory without the marker is the remnant of an interrupted initdb.
    if [[ -e "$DATA_DIR" && ! -f "$STATE_DIR/initialized" ]]; then
        log "removing incomplete cluster in $DATA_DIR"
        rm -rf "$DATA_DIR"
    fi
    [[ -f "$STATE_DIR/initialized" ]] && return
    log "initdb $DATA_DIR ($("$BINDIR/postgres" --version))"
    run_pg "$BINDIR/initdb" -D "$DATA_DIR" --auth=trust --username=postgres -E UTF8 --locale=C \
        >>"$LOG_FILE" 2>&1 || { tail -n 20 "$LOG_FILE" >&2; die "initdb failed (log: $LOG_FILE)"; }
    run_pg tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<EOF

# ---- Ledger (scripts/postgres.sh) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK_DIR'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
full_page_writes = on
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
    run_pg touch "$STATE_DIR/initialized"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Tries to start the postmaster on $1; returns 2 if the port was taken, 1 on other failures.
try_start() {
    local port=$1 before
    before=$(wc -l <"$LOG_FILE")
    if run_pg "$BINDIR/pg_ctl" start -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 -s -o "-p $port" >&2; then
        return 0
    fi
    if tail -n +"$((before + 1))" "$LOG_FILE" | grep -q -e 'could not bind' -e 'Address already in use' \
        -e 'could not create any TCP/IP sockets' -e 'is another postmaster already running on port'; then
        return 2
    fi
    tail -n +"$((before + 1))" "$LOG_FILE" | tail -n 20 >&2
    return 1
}

start_cluster() {
    local port rc=0 tried=0
    if [[ -n "${LEDGER_PG_PORT:-}" ]]; then
        port=$LEDGER_PG_PORT
        ! port_in_use "$port" || die "LEDGER_PG_PORT=$port is already in use"
        try_start "$port" || die "could not start PostgreSQL on port $port (log: $LOG_FILE)"
    else
        port=$DEFAULT_PORT
        while :; do
            tried=$((tried + 1))
            [[ $tried -le $PORT_SCAN_LIMIT ]] || die "no free port found from $DEFAULT_PORT upward"
            if port_in_use "$port"; then port=$((port + 1)); continue; fi
            rc=0
            try_start "$port" || rc=$?
            case $rc in
                0) break ;;
                2) log "port $port taken meanwhile; trying the next one"; port=$((port + 1)) ;;
                *) die "could not start PostgreSQL (log: $LOG_FILE)" ;;
            esac
        done
    fi
    echo "$port" >"$PORT_FILE"
}

print_url() {
    local port=""
    if is_running; then port=$(running_port); fi
    [[ -n "$port" ]] || port=$(cat "$PORT_FILE" 2>/dev/null || true)
    [[ -n "$port" ]] || die "no port recorded; run: scripts/postgres.sh start"
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Password=postgres;Database=postgres;Include Error Detail=true"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
cmd_start() {
    mkdir -p "$PG_HOME"
    # Serialise concurrent starts (e.g. several test assemblies starting at once).
    exec 9>"$REPO_ROOT/.ledger/postgres.lock"
    flock 9
    prepare_dirs
    require_bindir
    if is_running; then
        running_port >"$PORT_FILE"
        print_url
        return
    fi
    local t0=$SECONDS
    init_cluster
    start_cluster
    log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') running on 127.0.0.1:$(cat "$PORT_FILE") (data: $DATA_DIR, log: $LOG_FILE, $((SECONDS - t0)) s)"
    print_url
}

# stop_cluster MODE WHAT: pg_ctl stop -m MODE (fast: a clean shutdown; immediate: as a power cut would).
stop_cluster() {
    locate_dirs
    BINDIR=$(find_bindir)
    if ! is_running; then
        log "not running"
        return 0
    fi
    run_pg "$BINDIR/pg_ctl" stop -D "$DATA_DIR" -m "$1" -w -s >&2
    log "$2"
}

cmd_stop() { stop_cluster fast "stopped"; }

cmd_crash() { stop_cluster immediate "stopped immediately (crash recovery on the next start)"; }

cmd_status() {
    locate_dirs
    BINDIR=$(find_bindir)
    if is_running; then
        echo "running on 127.0.0.1:$(running_port) (data: $DATA_DIR)"
        return 0
    fi
    echo "not running"
    return 3
}

cmd_url() {
    locate_dirs
    BINDIR=$(find_bindir)
    print_url
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    crash) cmd_crash ;;
    status) cmd_status ;;
    url) cmd_url ;;
    *)
        echo "usage: $0 start|stop|crash|status|url" >&2
        exit 64
        ;;
esac
