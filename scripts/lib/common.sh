# shellcheck shell=bash
# What scripts/demo.sh and scripts/bench-*.sh share; sourced by each of them, not run. Each has
#   - an outer part: checks its settings, installs the Debian packages (scripts/deps.sh), builds
#     pgphase in build/ unless given binaries (PGPHASE_BIN, TRAFFIC_BIN), then runs itself again
#     with --inner under scripts/with-postgres.sh, which starts and stops a throwaway server;
#   - an inner part: the work, against that server (PGPHASE_TEST_DSN).
# Sourcing sets ROOT (the repository), SELF (the sourcing script, absolute) and PROG (its name,
# which prefixes its messages), and defines the functions below; it does not cd.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$ROOT/scripts/$(basename "${BASH_SOURCE[1]}")
PROG=${SELF##*/}
# Recorded by pgphase in its event log as who ran each command.
export PGPHASE_ACTOR=${PGPHASE_ACTOR:-$PROG}

log() { echo "$PROG: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# outer_or_inner "$@": the inner part with --inner, else the outer part with the arguments.
# Called last, once the script has defined outer and inner.
outer_or_inner() {
  if [[ ${1:-} == --inner ]]; then
    inner
  else
    outer "$@"
  fi
}

# --- outer part ----------------------------------------------------------------------------

# usage: the script's header comment, from line 2 to the first line that is not a comment.
usage() { awk 'NR > 1 { if (!/^#/) exit; print }' "$SELF"; }

# no_arguments "$@": for a script that takes none. -h or --help prints the usage and exits 0;
# any other argument prints it and exits 2.
no_arguments() {
  [[ $# -gt 0 ]] || return 0
  usage
  [[ $1 == -h || $1 == --help ]] && exit 0
  exit 2
}

# build_binaries [--absolute] BUILD_TYPE TARGET...: the binaries of the TARGETs (pgphase in
# PGPHASE_BIN, pgphase-traffic in TRAFFIC_BIN) as given in those variables, or else built in
# build/ with CMAKE_BUILD_TYPE=BUILD_TYPE (cmake configures and builds all the TARGETs when one
# is not given), then exported. With --absolute, each is made an absolute path (a relative one
# is taken from ROOT, the directory the scripts run in) and must be executable.
build_binaries() {
  local absolute='' type target var vars=() build=''
  if [[ $1 == --absolute ]]; then
    absolute=1
    shift
  fi
  type=$1
  shift
  for target in "$@"; do
    case $target in
      pgphase) var=PGPHASE_BIN ;;
      pgphase-traffic) var=TRAFFIC_BIN ;;
      *) die "build_binaries: no variable names a binary of target '$target'" ;;
    esac
    vars+=("$var")
    [[ -n ${!var:-} ]] || build=1
  done
  if [[ -n $build ]]; then
    cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE="$type"
    cmake --build "$ROOT/build" -j "${PGPHASE_JOBS:-2}" --target "$@"
  fi
  local i
  for i in "${!vars[@]}"; do
    var=${vars[$i]}
    target=$1
    shift
    [[ -n ${!var:-} ]] || printf -v "$var" '%s' "$ROOT/build/$target"
    if [[ -n $absolute ]]; then
      printf -v "$var" '%s' "$(cd "$(dirname "${!var}")" && pwd)/$(basename "${!var}")"
      [[ -x ${!var} ]] || die "no $target binary at ${!var}"
    fi
  done
  export "${vars[@]}"
}

# out_dir VAR PREFIX: the directory named by VAR (a new /tmp/PREFIX.XXXXXX if VAR is empty),
# created if need be; VAR is set to its absolute path and exported.
out_dir() {
  local var=$1 dir=${!1:-}
  [[ -n $dir ]] || dir=$(mktemp -d "/tmp/$2.XXXXXX")
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  printf -v "$var" '%s' "$dir"
  export "${var?}"
}

# inner_on_new_server: the script again with --inner, under scripts/with-postgres.sh on a new
# throwaway server, even if PGPHASE_TEST_DSN names one (the inner part creates and drops tables
# and databases).
inner_on_new_server() {
  env -u PGPHASE_TEST_DSN bash "$ROOT/scripts/with-postgres.sh" "$SELF" --inner
}

# --- inner part ----------------------------------------------------------------------------

DSN=      # the database the inner part works on
PSQL=psql # see find_psql
work_pid= # see run_waited

# find_psql: PSQL is psql on PATH, else the throwaway server's (PGPHASE_TEST_PGBIN, set by
# with-postgres.sh).
find_psql() { command -v psql >/dev/null 2>&1 || PSQL=${PGPHASE_TEST_PGBIN:?}/psql; }

sql() { "$PSQL" -v ON_ERROR_STOP=1 -X -q -d "$DSN" "$@"; }
sql_value() { "$PSQL" -v ON_ERROR_STOP=1 -X -q -At -d "$DSN" -c "$1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Runs a command in the background and waits for it, so that a signal to this script is
# handled at once (bash defers traps while a foreground command runs).
run_waited() {
  "$@" &
  work_pid=$!
  local rc=0
  wait "$work_pid" || rc=$?
  work_pid=
  return "$rc"
}

# start_traffic BIN NAME SEARCH_PATH FILE [OPTION...] -- QUERY...: the application client
# (BIN: pgphase-traffic, tools/traffic) in the background as NAME: 2 connections to DSN with
# SEARCH_PATH, RATE queries per second in all, each QUERY in turn with $1 a random id up to
# ROWS, and the OPTIONs of `pgphase-traffic run`; its log in FILE.log, its output in FILE.out.
# Sets app_pid.
app_pid=
# shellcheck disable=SC2034  # app_pid is read by the scripts
start_traffic() {
  local bin=$1 name=$2 search_path=$3 file=$4 q args=()
  shift 4
  while [[ $1 != -- ]]; do
    args+=("$1")
    shift
  done
  shift
  for q in "$@"; do
    args+=(--query "$q")
  done
  "$bin" run --dsn "$DSN" --name "$name" --search-path "$search_path" --clients 2 \
    --rate "$RATE" --max-id "$ROWS" --log "$file.log" "${args[@]}" >"$file.out" 2>&1 &
  app_pid=$!
}

# start_sampler FILE INTERVAL SQL [MAX_SECONDS]: runs SQL every INTERVAL seconds (psql's
# \watch) in the background, its rows in FILE (unaligned, no headers; `a|b`), until
# stop_sampler, or MAX_SECONDS (default a day). Sets sampler_pid (give it to stop_on_exit).
sampler_pid=
start_sampler() {
  local file=$1 interval=$2 sql=$3 max=${4:-86400}
  printf '%s\n' "$sql" "\\watch $interval" |
    timeout "$max" "$PSQL" -X -q -At -d "$DSN" -o "$file" >/dev/null 2>&1 &
  sampler_pid=$!
}

stop_sampler() {
  [[ -n $sampler_pid ]] || return 0
  kill -TERM "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=
}

# need_command COMMAND PACKAGE: installs the Debian PACKAGE (through sudo when not root) when
# COMMAND is not there; for the tools only a benchmark needs (/usr/bin/time, gnuplot).
need_command() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  log "installing $2 (for $1)"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -q "$2"
}

# stop_traffic PID FILE LABEL: SIGTERM to a client start_traffic started (FILE as given to it),
# then waits for it: it prints its summary (the last line of FILE.out) and exits non-zero if
# any query failed. Logs the summary; on failure also the client's first lines, and adds LABEL
# to app_failed. An empty PID: nothing to stop.
app_failed=
stop_traffic() {
  local pid=$1 file=$2 label=$3 rc=0
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  log "stopped the $label client: $(tail -n 1 "$file.out")"
  if [[ $rc -ne 0 ]]; then
    log "the $label client failed (exit $rc); its first lines:"
    head -n 20 "$file.out" >&2
    app_failed+=" $label"
  fi
}

# kill_tree PID: SIGTERM to PID's descendants, deepest first, then to PID: a function run in
# the background is a subshell, and killing only the subshell would orphan what it runs.
# shellcheck disable=SC2317  # invoked from a trap
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    kill_tree "$child"
  done
  kill -TERM "$1" 2>/dev/null || true
}

# stop_pids VAR...: stops the processes whose pids the VARs hold (only ones this script
# started; an empty VAR is skipped): SIGTERM to each and its descendants, up to 5 s each to
# exit, then SIGKILL; then empties the VARs. with-postgres.sh then stops the server.
# shellcheck disable=SC2317  # invoked from a trap
stop_pids() {
  local var pid
  for var in "$@"; do
    pid=${!var:-}
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      kill_tree "$pid"
    fi
  done
  for var in "$@"; do
    pid=${!var:-}
    [[ -n $pid ]] || continue
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf -v "$var" '%s' ''
  done
}

# stop_on_exit VAR...: the inner part's traps: on exit, Ctrl-C (exit 130) and SIGTERM or SIGHUP
# (exit 143) the processes in the VARs are stopped (stop_pids); a failed command is logged.
CHILD_VARS=()
stop_on_exit() {
  CHILD_VARS=("$@")
  trap 'stop_pids "${CHILD_VARS[@]}"' EXIT
  trap 'log "interrupted"; stop_pids "${CHILD_VARS[@]}"; exit 130' INT
  trap 'log "terminated"; stop_pids "${CHILD_VARS[@]}"; exit 143' TERM HUP
  trap 'log "FAILED (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
}
