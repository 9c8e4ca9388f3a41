#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh [--servers 2] CMD [ARGS...]
# Runs CMD with PGPHASE_TEST_DSN (and PGPHASE_TEST_PGBIN) pointing at a throwaway
# PostgreSQL server on 127.0.0.1, which is stopped and deleted afterwards whatever
# CMD's outcome. With --servers 2, a second throwaway server is started too and
# PGPHASE_TEST_DSN_2 names it (the fleet tests run on two servers). If
# PGPHASE_TEST_DSN is already set, simply execs CMD.
# The server is fast and unsafe (fsync, synchronous_commit and full_page_writes off), unless
# PGPHASE_PG_DURABLE=1: then they keep PostgreSQL's defaults, as a production server has them
# (the benchmarks that count commits and WAL use it).
set -euo pipefail

prog=with-postgres.sh
log() { echo "$prog: $*" >&2; }
die() { log "$*"; exit 1; }

servers=1
first_dsn= # set (internally) when this run starts the second server for another one
while [[ $# -gt 0 ]]; do
  case $1 in
  --servers)
    [[ ${2:-} =~ ^[12]$ ]] || die "--servers takes 1 or 2"
    servers=$2
    shift 2
    ;;
  --second-of)
    first_dsn=${2:-}
    shift 2
    ;;
  *) break ;;
  esac
done

if [[ $# -eq 0 ]]; then
  echo "usage: $0 [--servers 2] CMD [ARGS...]" >&2
  exit 2
fi

# Someone already gave us a server: nothing to set up or clean up.
if [[ -n ${PGPHASE_TEST_DSN:-} && -z $first_dsn ]]; then
  exec "$@"
fi

# With stdin closed, a file opened later could take fd 0 and be handed to CMD.
if ! { true 3<&0; } 2>/dev/null; then
  exec </dev/null
fi

# --- locate the PostgreSQL server binaries ---------------------------------
if [[ -n ${PG_BIN:-} ]]; then
  pg_bin=$PG_BIN
else
  # Newest major version that has a server installed.
  pg_bin=$(for d in /usr/lib/postgresql/*/bin; do
    if [[ -x $d/initdb ]]; then echo "$d"; fi
  done | sort -t/ -k5,5V | tail -n 1)
fi
[[ -n $pg_bin && -x $pg_bin/initdb && -x $pg_bin/pg_ctl ]] ||
  die "no PostgreSQL server binaries found (install 'postgresql' via scripts/deps.sh or set PG_BIN)"

# initdb and the server refuse to run as root: use the postgres OS user then.
run_as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user"
  run_as_pg=(runuser -u postgres --)
fi

# --- state used by cleanup (set before installing the traps) ---------------
tmp_dir=
data_dir=
child_pid=
cleaned_up=

# Runs a command as the server's OS user, from a directory it can read.
pg_run() {
  (cd "$tmp_dir" && "${run_as_pg[@]}" "$@")
}

# Stops the server we started (only that one) and removes its directory.
# shellcheck disable=SC2317  # invoked from a trap
cleanup() {
  [[ -n $cleaned_up ]] && return 0
  cleaned_up=1
  # Finish cleaning up even if interrupted again or if stderr is a broken pipe.
  trap '' INT TERM HUP PIPE
  if [[ -n $data_dir && -f $data_dir/postmaster.pid ]]; then
    if ! pg_run "$pg_bin/pg_ctl" -D "$data_dir" -m fast -w -t 30 stop >/dev/null 2>&1; then
      local pid
      pid=$(head -n 1 "$data_dir/postmaster.pid" 2>/dev/null || true)
      # Only kill that pid, and only if it is still a postmaster of our data dir.
      if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$data_dir"; then
        log "pg_ctl stop failed; sending SIGQUIT to postmaster $pid"
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  if [[ -n $tmp_dir && -d $tmp_dir && $(basename "$tmp_dir") == pgphase-pg.* ]]; then
    rm -rf -- "$tmp_dir"
  fi
}

# On INT/TERM/HUP: pass the signal on to CMD, give it 10 s, clean up, and
# re-raise the signal.
# shellcheck disable=SC2317  # invoked from a trap
on_signal() {
  local sig=$1 code=$2
  trap '' INT TERM HUP PIPE
  if [[ -n $child_pid ]] && kill -0 "$child_pid" 2>/dev/null; then
    kill -"$sig" "$child_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$child_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$child_pid" 2>/dev/null || true
    wait "$child_pid" 2>/dev/null || true
  fi
  log "interrupted by SIG$sig; stopping the server"
  cleanup
  # Die of the same signal so that our caller sees an interrupt, not an error.
  trap - EXIT INT TERM HUP
  kill -s "$sig" "$$"
  exit "$code"
}

trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

# --- temp dir: data dir, unix socket and log all live in it ----------------
base=${TMPDIR:-/tmp}
# The postgres user must be able to reach it, and unix socket paths are
# limited to ~107 bytes: fall back to /tmp when either is a problem.
if [[ ${#base} -gt 60 ]] || { [[ ${#run_as_pg[@]} -gt 0 ]] &&
  ! (cd / && runuser -u postgres -- test -w "$base" -a -x "$base"); }; then
  base=/tmp
fi
tmp_dir=$(mktemp -d "${base%/}/pgphase-pg.XXXXXX")
tmp_dir=$(cd "$tmp_dir" && pwd -P)
chmod 700 "$tmp_dir"
if [[ ${#run_as_pg[@]} -gt 0 ]]; then
  chown postgres: "$tmp_dir"
fi
data_dir=$tmp_dir/data
server_log=$tmp_dir/postgres.log

# --- initdb ----------------------------------------------------------------
if ! pg_run "$pg_bin/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 --no-locale \
  --no-sync >"$tmp_dir/initdb.log" 2>&1; then
  log "initdb failed:"
  tail -n 50 "$tmp_dir/initdb.log" >&2
  exit 1
fi

# Throwaway-server settings: fast and unsafe, TCP on loopback only.
cat >>"$data_dir/postgresql.conf" <<CONF

# --- added by scripts/with-postgres.sh ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp_dir'
$(if [[ ${PGPHASE_PG_DURABLE:-0} == 1 ]]; then
  echo "# PGPHASE_PG_DURABLE=1: fsync, synchronous_commit and full_page_writes as by default"
else
  printf '%s\n' "fsync = off" "synchronous_commit = off" "full_page_writes = off"
fi)
max_connections = 100
shared_buffers = 128MB
logging_collector = off
CONF

# --- pick a free port and start --------------------------------------------
port_in_use() {
  local p=$1
  if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
    return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

pick_port() {
  local start=$((RANDOM % 20000)) i p
  for ((i = 0; i < 20000; i++)); do
    p=$((20000 + (start + i) % 20000))
    if ! port_in_use "$p"; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

started=
for attempt in 1 2 3 4 5; do
  port=$(pick_port) || die "no free TCP port in 20000-39999 on 127.0.0.1"
  : >"$server_log"
  if [[ ${#run_as_pg[@]} -gt 0 ]]; then
    chown postgres: "$server_log"
  fi
  if pg_run "$pg_bin/pg_ctl" -D "$data_dir" -l "$server_log" -w -t 60 -o "-p $port" \
    start >"$tmp_dir/pg_ctl.log" 2>&1; then
    started=1
    break
  fi
  # Lost a race for the port: try another one. Anything else is fatal.
  if grep -qE 'could not bind|Address already in use|could not create any TCP/IP sockets' "$server_log" &&
    [[ ! -f $data_dir/postmaster.pid ]]; then
    log "port $port was taken (attempt $attempt), retrying"
    continue
  fi
  break
done
if [[ -z $started ]]; then
  log "PostgreSQL failed to start; last 50 lines of its log:"
  tail -n 50 "$server_log" >&2 || true
  tail -n 20 "$tmp_dir/pg_ctl.log" >&2 || true
  exit 1
fi

export PGPHASE_TEST_DSN="postgresql://postgres@127.0.0.1:$port/postgres"
export PGPHASE_TEST_PGBIN=$pg_bin
log "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($tmp_dir)"

if [[ -n $first_dsn ]]; then
  # This is the second server: its DSN is the _2 one, the first keeps its name.
  export PGPHASE_TEST_DSN_2=$PGPHASE_TEST_DSN PGPHASE_TEST_DSN=$first_dsn
elif [[ $servers -eq 2 ]]; then
  # The second server comes from this script run again, inside this one, so that each run
  # stops only the server it started.
  set -- bash "$0" --second-of "$PGPHASE_TEST_DSN" "$@"
fi

# --- run CMD ---------------------------------------------------------------
# In the background so that our signal traps run promptly; `trap -` restores
# the default SIGINT/SIGQUIT that bash would ignore in background jobs, and
# <&0 keeps our stdin (bash would give a background job /dev/null).
set +e
(
  trap - INT QUIT
  exec "$@"
) <&0 &
child_pid=$!
wait "$child_pid"
rc=$?
child_pid=
set -e
exit "$rc"
