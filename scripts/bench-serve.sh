#!/usr/bin/env bash
# What watching a backfill costs: `pgphase serve` under a steady load of page and metrics
# requests, against the same backfill with nobody watching. Not a test: scripts/test.sh does not
# run it; it takes about 2.5 minutes with the defaults on 2 cores.
#
# On ONE throwaway PostgreSQL (scripts/with-postgres.sh), a `users` table of ROWS rows (id bigint
# PRIMARY KEY, email text) and a plan that renames users.email with method: copy (so that the
# backfill copies every row, max_batch_size 5000). Each run in ORDER does `pgphase start`, then
# times `pgphase backfill`, checks every row was copied, and `pgphase rollback`s (then VACUUM
# FULL, CHECKPOINT), so every run backfills the same rows from the same state:
#   without  nobody watches
#   with     `pgphase serve --listen 127.0.0.1:0` runs, and a load client makes RATE requests per
#            second in total, on a fixed schedule (not one after the other), alternating between
#            /migrations/bench_serve and /metrics, from 1 s before the backfill until it ends
# The default order is ABBA, REPEAT times (without, with, with, without, ...), so a drift over
# time (cache, table bloat) does not favour one side. Reported per run: the backfill's seconds (command and the
# batched sweep step alone), requests made, non-200 answers (connection errors count as
# failures), median and worst latency, serve's peak RSS (VmHWM from /proc/PID/status) and the
# CPU seconds of serve and of the load client (which competes with the backfill too); then the
# mean with/without ratio (goal: under 1.05) with each side's spread, the median ratio of
# neighbouring runs (1-2, 3-4, ...: a drift cancels out in each pair), and the largest peak RSS
# (goal: under 30 MB). The backfill adapts its batch size to how long batches take, so other
# work on the machine (a build) shows as noise: each run also reports the 1-minute load average
# at its end, and a spread among the runs without serve wider than the goal is flagged.
# python3's latency is measured from each request's scheduled send time, so a late request
# counts as slow; curl's is its time_total (its own start-up not included).
#
# Environment:
#   ROWS=1000000               rows in users (ROWS=100000 for a quick check)
#   RATE=50                    requests per second in total, while serve runs
#   REPEAT=4                   how many times the ABBA block runs
#   ORDER="without with ..."   the runs, in order (default: ABBA REPEAT times)
#   LOAD_CLIENT=python3|curl   the load client (default: python3 if present, else curl)
#   PGPHASE_BIN=path           use this binary instead of building build/pgphase
#   BENCH_OUT=dir              logs and results.txt (default: a new /tmp/pgphase-serve.*)
#
# Usage: scripts/bench-serve.sh
set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

export ROWS=${ROWS:-1000000}
export RATE=${RATE:-50}
export REPEAT=${REPEAT:-4}
ORDER=${ORDER:-}
if [[ -z $ORDER && $REPEAT =~ ^[0-9]+$ ]]; then
  ORDER=$(for ((i = 0; i < REPEAT; i++)); do printf 'without with with without '; done)
  ORDER=${ORDER% }
fi
export ORDER
if [[ -z ${LOAD_CLIENT:-} ]]; then
  LOAD_CLIENT=curl
  command -v python3 >/dev/null 2>&1 && LOAD_CLIENT=python3
fi
export LOAD_CLIENT

# --- outer part: deps, build, then the inner part against a throwaway server ---------------
outer() {
  no_arguments "$@"
  [[ $ROWS =~ ^[0-9]+$ && $ROWS -ge 1000 ]] || die "ROWS must be an integer >= 1000"
  [[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 ]] || die "RATE must be a positive integer"
  [[ -n $ORDER ]] || die "REPEAT must be a positive integer, or ORDER a list of runs"
  local r
  for r in $ORDER; do
    [[ $r == with || $r == without ]] || die "ORDER takes 'with' and 'without', got '$r'"
  done
  [[ $LOAD_CLIENT == python3 || $LOAD_CLIENT == curl ]] || die "LOAD_CLIENT is python3 or curl"
  command -v "$LOAD_CLIENT" >/dev/null 2>&1 || die "the load client needs $LOAD_CLIENT"

  bash scripts/deps.sh
  build_binaries --absolute RelWithDebInfo pgphase
  out_dir BENCH_OUT pgphase-serve
  chmod 755 "$BENCH_OUT"
  log "logs and results in $BENCH_OUT"
  inner_on_new_server
}

# --- inner part: runs with PGPHASE_TEST_DSN set by with-postgres.sh --------------------------
PLAN=
PYTHON=python3
serve_pid=
load_pid=

pgphase() { "$PGPHASE_BIN" --dsn "$DSN" "$@"; }

# The load client in python3: GET PATHS in turn at RATE per second on a fixed schedule (a
# thread per request in flight, a new connection each, like curl), until SIGTERM; then it waits
# for the requests in flight. One line per request: "EPOCH PATH STATUS SECONDS", STATUS 000
# when the request failed without an answer, SECONDS from the scheduled send time.
write_load_client() {
  cat >"$BENCH_OUT/load.py" <<'PY'
import concurrent.futures, http.client, signal, sys, threading, time

host, port, rate, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
paths = sys.argv[5:]
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
lock = threading.Lock()
log = open(out, "w", buffering=1)

def get(path, due):
    status = "000"
    try:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        status = str(response.status)
        conn.close()
    except Exception:
        pass
    seconds = time.monotonic() - due
    with lock:
        log.write(f"{time.time():.3f} {path} {status} {seconds:.6f}\n")

with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
    start, i = time.monotonic(), 0
    while not stop.is_set():
        due = start + i / rate
        wait = due - time.monotonic()
        if wait > 0:
            stop.wait(wait)
            continue
        pool.submit(get, paths[i % len(paths)], due)
        i += 1
PY
}

# The curl fallback of the same: one curl per request, started on the schedule; SECONDS is
# curl's time_total (its own start-up not included). A process per request costs CPU that
# the backfill then lacks on a small machine: python3 is the fairer client.
# shellcheck disable=SC2317  # runs in the background from start_load
curl_load() {
  local base=$1 out=$2 stop='' i=0 start due t
  shift 2
  local paths=("$@")
  trap 'stop=1' TERM
  : >"$out"
  start=${EPOCHREALTIME/./}
  while [[ -z $stop ]]; do
    due=$((start + i * 1000000 / RATE))
    t=${EPOCHREALTIME/./}
    if ((due > t)); then
      sleep "$(printf '%d.%06d' $(((due - t) / 1000000)) $(((due - t) % 1000000)))"
      continue
    fi
    local path=${paths[i % ${#paths[@]}]}
    curl -s -o /dev/null --max-time 30 -w "$EPOCHREALTIME $path %{http_code} %{time_total}\n" \
      "$base$path" >>"$out" 2>/dev/null &
    i=$((i + 1))
  done
  wait
}

# start_serve LABEL: pgphase serve on a free port; sets serve_pid and serve_url.
serve_url=
start_serve() {
  local label=$1
  # Not through pgphase(): a backgrounded function is a subshell, and $! would be its pid.
  "$PGPHASE_BIN" --dsn "$DSN" serve --listen 127.0.0.1:0 >"$BENCH_OUT/$label.serve.out" \
    2>"$BENCH_OUT/$label.serve.err" &
  serve_pid=$!
  serve_url=
  for _ in $(seq 1 100); do
    serve_url=$(grep -o 'http://[^ ]*/' "$BENCH_OUT/$label.serve.out" 2>/dev/null | head -n 1 || true)
    [[ -n $serve_url ]] && break
    kill -0 "$serve_pid" 2>/dev/null ||
      die "pgphase serve exited at start; see $BENCH_OUT/$label.serve.err"
    sleep 0.1
  done
  [[ -n $serve_url ]] || die "pgphase serve printed no URL within 10 s"
}

# cpu_seconds PID: user + system CPU seconds of PID and of its children it has waited for.
cpu_seconds() {
  sed 's/.*) //' "/proc/$1/stat" |
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13 + $14 + $15) / hz }'
}

# stop_serve LABEL: reads the peak RSS (kB) into serve_hwm and the CPU seconds into serve_cpu,
# SIGTERM, checks it exits with 0.
serve_hwm=
serve_cpu=
stop_serve() {
  local label=$1 rc=0 t0
  serve_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$serve_pid/status")
  serve_cpu=$(cpu_seconds "$serve_pid")
  t0=$(now)
  kill -TERM "$serve_pid"
  wait "$serve_pid" || rc=$?
  serve_pid=
  [[ $rc -eq 0 ]] || die "pgphase serve exited with $rc on SIGTERM; see $BENCH_OUT/$label.serve.err"
  log "$label: pgphase serve stopped $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')s after SIGTERM"
}

# start_load LABEL: the load client against serve_url, logging to LABEL.requests.
start_load() {
  local label=$1 hostport
  local paths=(/migrations/bench_serve /metrics)
  hostport=${serve_url#http://}
  hostport=${hostport%%/*}
  if [[ $LOAD_CLIENT == python3 ]]; then
    "$PYTHON" "$BENCH_OUT/load.py" "${hostport%:*}" "${hostport##*:}" "$RATE" \
      "$BENCH_OUT/$label.requests" "${paths[@]}" 2>"$BENCH_OUT/$label.load.err" &
  else
    curl_load "${serve_url%/}" "$BENCH_OUT/$label.requests" "${paths[@]}" \
      2>"$BENCH_OUT/$label.load.err" &
  fi
  load_pid=$!
}

# stop_load: the client's CPU seconds into load_cpu (a cost of the bench, not of serve), SIGTERM.
load_cpu=
stop_load() {
  load_cpu=$(cpu_seconds "$load_pid")
  kill -TERM "$load_pid" 2>/dev/null || true
  wait "$load_pid" || true
  load_pid=
}

# request_stats FILE: "REQUESTS RATE NON200 P50_MS MAX_MS" (RATE: achieved requests per second).
request_stats() {
  sort -k4,4g "$1" | awk '
    { t = $1; if (n == 0 || t < first) first = t; if (t > last) last = t
      ms[++n] = $4; if ($3 != "200") bad++ }
    END {
      if (n == 0) { print "0 - 0 - -"; exit }
      rate = last > first ? (n - 1) / (last - first) : 0
      printf "%d %.1f %d %.1f %.1f\n", n, rate, bad, ms[int((n - 1) * 0.5) + 1] * 1000, ms[n] * 1000
    }'
}

ROW_FORMAT='%-4s %-8s %10s %8s %9s %7s %7s %7s %7s %9s %9s %10s %6s\n'
rows=()
declare -A seconds_of=() # VARIANT -> "SECS SECS ..."
run_list=                # "VARIANT:SECS ..." in run order
all_requests=
max_hwm=0

# run_once N VARIANT: start, (serve + load), the backfill timed, check, rollback, compact.
run_once() {
  local n=$1 variant=$2 label="run$1-$2" t0 t1 secs sweep stats="- - - - -" hwm=- wrong load
  local cpu=- client_cpu=-
  pgphase start "$PLAN" >"$BENCH_OUT/$label.start.log" 2>&1 ||
    die "pgphase start failed; see $BENCH_OUT/$label.start.log"
  if [[ $variant == with ]]; then
    start_serve "$label"
    start_load "$label"
    sleep 1 # the load is steady before the backfill starts
  fi
  log "run $n ($variant): backfill of $ROWS rows ..."
  t0=$(now)
  run_waited "$PGPHASE_BIN" --dsn "$DSN" backfill "$PLAN" >"$BENCH_OUT/$label.backfill.log" 2>&1 ||
    die "pgphase backfill failed; see $BENCH_OUT/$label.backfill.log"
  t1=$(now)
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [[ $variant == with ]]; then
    stop_load
    stop_serve "$label"
    stats=$(request_stats "$BENCH_OUT/$label.requests")
    cat "$BENCH_OUT/$label.requests" >>"$BENCH_OUT/all.requests"
    all_requests=1
    hwm=$(awk -v k="$serve_hwm" 'BEGIN { printf "%.1f", k / 1024 }')
    cpu=$serve_cpu
    client_cpu=$load_cpu
    ((serve_hwm > max_hwm)) && max_hwm=$serve_hwm
  fi
  wrong=$(sql_value "SELECT count(*) FROM public.users WHERE email_address IS DISTINCT FROM email")
  [[ $wrong == 0 ]] || die "run $n: $wrong rows with email_address <> email after the backfill"
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  # The batched sweep alone: the step.done of the step whose step.started says "copy".
  sweep=$(awk '/step\.started/ { copy = ($0 ~ /summary="copy /) }
               /step\.done/ && copy { ms = $0; sub(/.*elapsed_ms=/, "", ms); sub(/[^0-9].*/, "", ms)
                                      printf "%.2f", ms / 1000; exit }' \
    "$BENCH_OUT/$label.backfill.log")
  pgphase rollback "$PLAN" >"$BENCH_OUT/$label.rollback.log" 2>&1 ||
    die "pgphase rollback failed; see $BENCH_OUT/$label.rollback.log"
  # Every run starts from the same compact table, not the previous run's dead rows.
  sql -c "VACUUM FULL ANALYZE public.users" -c "CHECKPOINT"
  seconds_of[$variant]+="$secs "
  run_list+="$variant:$secs "
  # shellcheck disable=SC2086
  set -- $stats
  # shellcheck disable=SC2059  # the format is ROW_FORMAT
  rows+=("$(printf "$ROW_FORMAT" "$n" "$variant" "$secs" "${sweep:--}" "$1" "$2" "$3" "$4" "$5" \
    "$hwm" "$cpu" "$client_cpu" "$load")")
  log "run $n ($variant): backfill ${secs}s (sweep ${sweep:--}s); requests $1 at $2/s, $3 not 200, p50 $4 ms, max $5 ms; serve VmHWM $hwm MB, CPU ${cpu}s; client CPU ${client_cpu}s; load $load"
}

inner() {
  DSN=${PGPHASE_TEST_DSN:?the inner part runs under scripts/with-postgres.sh}
  find_psql
  stop_on_exit work_pid load_pid serve_pid

  PLAN=$BENCH_OUT/plan.yaml
  cat >"$PLAN" <<'YAML'
name: bench_serve
settings:
  backfill:
    max_batch_size: 5000
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
YAML
  write_load_client
  # The interpreter itself, not a wrapper (pyenv's shim), so that $! is the client's pid.
  [[ $LOAD_CLIENT != python3 ]] || PYTHON=$(python3 -c 'import sys; print(sys.executable)')
  : >"$BENCH_OUT/all.requests"
  local t_all
  t_all=$(now)
  {
    echo "nproc: $(nproc)"
    free -h | sed -n 2p
    sql_value "SELECT version()"
    "$PGPHASE_BIN" --version 2>/dev/null || true
    echo "ROWS=$ROWS RATE=$RATE ORDER=\"$ORDER\" LOAD_CLIENT=$LOAD_CLIENT"
  } | tee "$BENCH_OUT/machine.txt" >&2

  log "seeding users with $ROWS rows ..."
  sql <<SQL
CREATE TABLE public.users (id bigint PRIMARY KEY, email text);
INSERT INTO public.users (id, email)
  SELECT i, 'user' || i || '@example.com' FROM generate_series(1, $ROWS) AS i;
VACUUM ANALYZE public.users;
CHECKPOINT;
SQL

  local n=0 variant
  for variant in $ORDER; do
    n=$((n + 1))
    run_once "$n" "$variant"
  done

  {
    echo
    # shellcheck disable=SC2059  # the format is ROW_FORMAT
    printf "$ROW_FORMAT" run variant backfill_s sweep_s requests "req/s" non200 p50_ms max_ms \
      serve_MB serve_cpu client_cpu load1
    printf '%s\n' "${rows[@]}"
    echo
    if [[ -n ${seconds_of[with]:-} && -n ${seconds_of[without]:-} ]]; then
      awk -v w="${seconds_of[with]}" -v o="${seconds_of[without]}" '
        function stats(list, out,   n, i, v, sum) {
          n = split(list, v, " "); sum = 0; out["min"] = v[1]; out["max"] = v[1]
          for (i = 1; i <= n; i++) { sum += v[i]; if (v[i] < out["min"]) out["min"] = v[i]
                                     if (v[i] > out["max"]) out["max"] = v[i] }
          out["n"] = n; out["mean"] = sum / n
        }
        BEGIN {
          stats(w, a); stats(o, b); r = a["mean"] / b["mean"]
          printf "backfill mean: %.2f s with serve (%d runs, %.2f-%.2f), %.2f s without (%d runs, %.2f-%.2f)\n",
            a["mean"], a["n"], a["min"], a["max"], b["mean"], b["n"], b["min"], b["max"]
          printf "ratio with/without: %.3f (goal < 1.05: %s)", r, r < 1.05 ? "met" : "NOT met"
          spread = (b["max"] - b["min"]) / b["mean"]
          if (spread > 0.05) printf "; but runs without serve differ by %.0f%% among themselves", spread * 100
          printf "\n"
        }'
      # Runs 1-2, 3-4, ... side by side: a drift over the whole run cancels out in each pair.
      awk -v list="$run_list" 'BEGIN {
        n = split(list, run, " ")
        for (i = 1; i + 1 <= n; i += 2) {
          split(run[i], a, ":"); split(run[i + 1], b, ":")
          if (a[1] == b[1]) continue
          r[++k] = a[1] == "with" ? a[2] / b[2] : b[2] / a[2]
        }
        if (k == 0) exit
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
        med = k % 2 ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2
        printf "paired (runs 1-2, 3-4, ...): median ratio %.3f over %d pairs, from %.3f to %.3f\n", med, k, r[1], r[k]
      }'
    fi
    if [[ -n $all_requests ]]; then
      # shellcheck disable=SC2046
      set -- $(request_stats "$BENCH_OUT/all.requests")
      echo "requests (all 'with' runs): $1 made at $RATE/s planned, $3 not 200, median $4 ms, worst $5 ms"
      awk -v k="$max_hwm" 'BEGIN { printf "serve peak RSS (VmHWM, largest run): %.1f MB (goal < 30 MB: %s)\n",
        k / 1024, k < 30 * 1024 ? "met" : "NOT met" }'
      local problems
      problems=$(cat "$BENCH_OUT"/*.serve.err | grep -cvE '^[0-9:.]+ info ' || true)
      echo "serve stderr: $problems line(s) other than info (see $BENCH_OUT/*.serve.err)"
    fi
    echo "ROWS=$ROWS RATE=$RATE ORDER=\"$ORDER\" LOAD_CLIENT=$LOAD_CLIENT"
    if [[ $LOAD_CLIENT == curl ]]; then
      echo "warning: curl costs ~30 ms of CPU per request (a process each), which the backfill"
      echo "         then lacks: the ratio above overstates serve's cost; use python3 if possible"
    fi
    awk -v a="$t_all" -v b="$(now)" 'BEGIN { printf "total run time: %.0f s\n", b - a }'
  } | tee "$BENCH_OUT/results.txt"
  log "logs and results in $BENCH_OUT"
}

outer_or_inner "$@"
