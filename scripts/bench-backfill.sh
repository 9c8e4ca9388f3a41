#!/usr/bin/env bash
# Benchmark of pgphase's backfill against the ways people fill a column by hand (issue 4).
# Not a test: scripts/test.sh does not run it, and it takes ~20 minutes with the defaults.
#
# On ONE throwaway PostgreSQL (scripts/with-postgres.sh), for each table size in ROWS, it
# fills bench.email_address from bench.email (the rename_column case) with:
#   raw      the floor: one `UPDATE bench_raw SET email_address = email` on an identical copy
#            of the table with no trigger and no check (the cheapest way to write the same rows)
#   single   one `UPDATE bench SET email_address = email` (what people run without a tool)
#   guide    the common guide's loop: UPDATE … WHERE id IN (SELECT id … WHERE email_address
#            IS NULL LIMIT 10000), COMMIT per batch, until 0 rows
#   keyset   a plain keyset loop of fixed 1000-row batches, COMMIT per batch
#   pgphase  `pgphase backfill` with the default settings
#   tuned    `pgphase backfill` with TUNED_SETTINGS (see below)
#   workers2 `pgphase backfill` with `workers: 2` (not in the default METHODS; with `pgphase`
#            in the same run the summary reports the ratio of the two)
# while pgbench replays rate-limited application traffic (point reads, updates of `name`,
# inserts), and reports per method: seconds, rows/s, the ratios to `raw` and to `single` (the
# method's speed as a share of theirs: 0.5 = twice their time), the WAL it wrote per row (the
# app's writes in the same window included), and the app's p50/p99/max latency and errors
# during it, plus a no-backfill baseline of the same traffic.
#
# Every method starts from the same state: the table is dropped and seeded again, VACUUM
# ANALYZEd and CHECKPOINTed, then `pgphase start` adds the new (NULL) column, its NOT VALID
# check and the sync trigger, which stays installed during the manual methods too (as it
# would be in real use); `pgphase rollback` after each method.
#
# Environment:
#   ROWS="1000000 5000000"  table sizes (ROWS=200000 for a quick run; 20000000 for the
#                            linearity check of issue 15)
#   METHODS="raw single guide keyset pgphase tuned"
#   RATE=200                 app transactions per second (pgbench -R), also --rate N
#   BASELINE_SECONDS=15      duration of the no-backfill baseline per size
#   TUNED_SETTINGS="target_batch_time: 25ms"  plan settings.backfill
#                            for the `tuned` variant (YAML flow-mapping body)
#   PGPHASE_PG_DURABLE=1     a server with fsync, synchronous_commit and full_page_writes on
#                            (PostgreSQL's defaults; with-postgres.sh turns them off by default)
#   PGPHASE_BIN=path         use this binary instead of building build/pgphase
#   BENCH_OUT=dir            where logs and results go (default: a new /tmp/pgphase-bench.*)
#
# --plot also draws, per table size, BENCH_OUT/backfill-ROWS.svg with gnuplot (Debian
# gnuplot-nox, installed if missing): rows/s over time per method (the server's WAL rate,
# sampled every 0.25 s, divided by the method's WAL bytes per row, so that a single UPDATE
# shows too), and the app's worst latency in each second, per method and without a backfill.
#
# Usage: scripts/bench-backfill.sh [--rate N] [--plot]
set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

export ROWS=${ROWS:-"1000000 5000000"}
export METHODS=${METHODS:-"raw single guide keyset pgphase tuned"}
export RATE=${RATE:-200}
export BASELINE_SECONDS=${BASELINE_SECONDS:-15}
export TUNED_SETTINGS=${TUNED_SETTINGS:-"target_batch_time: 25ms"}
export PLOT=${PLOT:-0}

# --- outer part: deps, build, then the inner part against a throwaway server ---------------
outer() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --rate) RATE=${2:?--rate needs a number}; shift 2 ;;
      --rate=*) RATE=${1#--rate=}; shift ;;
      --plot) PLOT=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument: $1 (see --help)" ;;
    esac
  done
  [[ $RATE =~ ^[0-9]+$ && $RATE -gt 0 ]] || die "--rate must be a positive integer"
  export RATE
  for n in $ROWS; do
    [[ $n =~ ^[0-9]+$ && $n -ge 10000 ]] || die "ROWS must be integers >= 10000, got '$n'"
  done

  bash scripts/deps.sh
  need_command /usr/bin/time time # pgphase's peak RSS
  [[ $PLOT == 0 ]] || need_command gnuplot gnuplot-nox
  export PLOT
  build_binaries --absolute RelWithDebInfo pgphase
  out_dir BENCH_OUT pgphase-bench
  log "logs and results in $BENCH_OUT"
  inner_on_new_server
}

# --- inner part: runs with PGPHASE_TEST_DSN set by with-postgres.sh --------------------------
PGBENCH=pgbench
PLAN=
pgbench_pid=

write_plan() {
  local file=$1 settings=$2
  {
    echo "name: bench_rename_email"
    echo "schema: public"
    if [[ -n $settings ]]; then
      echo "settings:"
      echo "  backfill: {$settings}"
    fi
    echo "changes:"
    echo "  - rename_column: {table: bench, from: email, to: email_address, method: copy}"
  } >"$file"
}

# seconds_since T0: from T0 (`now`) to now, to the hundredth.
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# The same starting state for every method: fresh rows, VACUUM ANALYZE, then expand.
reset_table() {
  local n=$1
  sql <<SQL
DROP TABLE IF EXISTS public.bench;
DROP SEQUENCE IF EXISTS public.bench_app_id;
CREATE TABLE public.bench (
  id bigint PRIMARY KEY,
  email text NOT NULL,
  name text,
  created_at timestamptz DEFAULT now(),
  payload text
);
INSERT INTO public.bench (id, email, name, payload)
  SELECT i, 'user' || i || '@example.com', 'User ' || i, rpad(md5(i::text), 100, md5((-i)::text))
  FROM generate_series(1, $n) AS i;
CREATE SEQUENCE public.bench_app_id START $((n + 1));
VACUUM ANALYZE public.bench;
CHECKPOINT;
SQL
  local t0
  t0=$(now)
  "$PGPHASE_BIN" --dsn "$DSN" start "$PLAN" >>"$BENCH_OUT/pgphase-start.log" 2>&1 ||
    die "pgphase start failed; see $BENCH_OUT/pgphase-start.log"
  start_seconds=$(seconds_since "$t0")
  local pending
  pending=$(sql_value "SELECT count(*) FROM public.bench WHERE email_address IS NULL")
  [[ $pending == "$n" ]] || die "after start: $pending rows with a NULL email_address, expected $n"
}

rollback() {
  "$PGPHASE_BIN" --dsn "$DSN" rollback "$PLAN" >>"$BENCH_OUT/pgphase-rollback.log" 2>&1 ||
    die "pgphase rollback failed; see $BENCH_OUT/pgphase-rollback.log"
}

write_pgbench_scripts() {
  cat >"$BENCH_OUT/app-read.sql" <<'SQL'
\set id random(1, :rows)
SELECT id, email, name, created_at FROM public.bench WHERE id = :id;
SQL
  cat >"$BENCH_OUT/app-update.sql" <<'SQL'
\set id random(1, :rows)
UPDATE public.bench SET name = 'app ' || :client_id WHERE id = :id;
SQL
  cat >"$BENCH_OUT/app-insert.sql" <<'SQL'
INSERT INTO public.bench (id, email, name, payload)
  VALUES (nextval('public.bench_app_id'), 'app' || :client_id || '@example.com', 'app', repeat('x', 100));
SQL
}

# start_app LABEL N [SECONDS]: pgbench in the background (until stopped, or for SECONDS).
start_app() {
  local label=$1 n=$2 secs=${3:-86400}
  rm -f "$BENCH_OUT/$label".pgb.*
  "$PGBENCH" -n -c 4 -j 2 -R "$RATE" -T "$secs" -D rows="$n" \
    -f "$BENCH_OUT/app-read.sql@1" -f "$BENCH_OUT/app-update.sql@1" -f "$BENCH_OUT/app-insert.sql@1" \
    -l --log-prefix="$BENCH_OUT/$label.pgb" "$DSN" >"$BENCH_OUT/$label.pgbench.out" 2>&1 &
  pgbench_pid=$!
}

# pgbench has no clean "stop now": it is killed, which loses what its log's stdio buffer still
# holds. So it runs on until each of its two threads has written some 8 KB (two buffers) after
# the window, at about 35 bytes a transaction, at least 4 s: every transaction of the window is
# then on disk (lines are filtered by time below). At RATE=50 a fixed 4 s was not always enough.
stop_app() {
  local pid=$pgbench_pid wait_s
  [[ -n $pid ]] || return 0
  wait_s=$((8192 * 2 / (RATE * 35) + 1))
  ((wait_s >= 4)) || wait_s=4
  sleep "$wait_s"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pgbench_pid=
}

# app_stats LABEL T0 T1: "p50 p99 max txns errors" of the app transactions that overlapped
# [T0, T1]. pgbench's log line: client txn latency_us script epoch_s epoch_us lag_us; with -R
# the latency counts from the scheduled start, so queueing behind a blocked client shows.
app_stats() {
  local label=$1 t0=$2 t1=$3 aborted
  aborted=$(grep -c 'aborted' "$BENCH_OUT/$label.pgbench.out" || true)
  cat "$BENCH_OUT/$label".pgb.* 2>/dev/null | awk -v t0="$t0" -v t1="$t1" -v aborted="$aborted" '
    {
      end = $5 + $6 / 1e6
      if ($3 !~ /^[0-9]+$/) { if (end >= t0 && end <= t1 + 5) failed++; next }
      start = end - $3 / 1e6
      if (end >= t0 && start <= t1) print $3 / 1000.0
    }
    END { print "#failed", failed + 0, aborted + 0 }' | sort -g | awk '
    /^#failed/ { errors = $2 + $3; next }
    { v[++n] = $1 }
    END {
      if (n == 0) { printf "- - - 0 %d\n", errors; exit }
      p50 = v[int((n - 1) * 0.50) + 1]; p99 = v[int((n - 1) * 0.99) + 1]
      printf "%.1f %.1f %.1f %d %d\n", p50, p99, v[n], n, errors
    }'
}

# --plot's WAL sampler: "EPOCH_S WAL_BYTES" every 0.25 s into FILE, until stop_sampler.
start_wal_sampler() {
  [[ $PLOT == 1 ]] || return 0
  start_sampler "$1" 0.25 "SELECT extract(epoch FROM clock_timestamp()) || ' ' ||
    pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0');"
}

# plot_data LABEL T0 T1 [WAL_PER_ROW]: --plot's series of one run, with x in seconds since T0:
# LABEL.latency.dat "x max_ms" (the worst latency of the app's transactions that overlapped
# the run, as app_stats counts them, by the second they ended in, or the run's last second for
# those that ended after it) and, given WAL_PER_ROW, LABEL.rate.dat "x rows_per_s" (the
# WAL written between samples about a thirtieth of the run apart, 0.25 s to 1 s but at most
# the run, divided by WAL_PER_ROW). run_method adds the WAL position at T0 and T1 to the
# samples, so that a run shorter than the sampling still gets its one point.
plot_data() {
  local label=$1 t0=$2 t1=$3 wal_per_row=${4:-}
  [[ $PLOT == 1 ]] || return 0
  cat "$BENCH_OUT/$label".pgb.* 2>/dev/null | awk -v t0="$t0" -v t1="$t1" '
    $3 ~ /^[0-9]+$/ {
      end = $5 + $6 / 1e6
      if (end >= t0 && end - $3 / 1e6 <= t1) {
        s = int((end < t1 ? end : t1) - t0)
        if ($3 / 1000.0 > worst[s]) worst[s] = $3 / 1000.0
      }
    }
    END { for (s in worst) printf "%d.5 %.2f\n", s, worst[s] }' | sort -g \
    >"$BENCH_OUT/$label.latency.dat"
  [[ -n $wal_per_row && $wal_per_row != 0 ]] || return 0
  sort -g "$BENCH_OUT/$label.wal.log" | awk -v t0="$t0" -v t1="$t1" -v per_row="$wal_per_row" '
    BEGIN {
      step = (t1 - t0) / 30
      if (step < 0.25) step = 0.25
      if (step > 1) step = 1
      if (step > t1 - t0) step = t1 - t0
    }
    NF == 2 && $1 >= t0 && $1 <= t1 {
      if (have && $1 - t >= step - 0.01) {
        printf "%.2f %.0f\n", (t + $1) / 2 - t0, ($2 - wal) / ($1 - t) / per_row
        have = 0
      }
      if (!have) { t = $1; wal = $2; have = 1 }
    }' >"$BENCH_OUT/$label.rate.dat"
}

# plot N: BENCH_OUT/backfill-N.svg from the series plot_data wrote for that size.
plot() {
  local n=$1 m rate_plot='' latency_plot='' sep=''
  [[ $PLOT == 1 ]] || return 0
  for m in $METHODS; do
    rate_plot+="$sep'n$n-$m.rate.dat' using 1:2 with lines lw 1.5 title '$m'"
    latency_plot+="$sep'n$n-$m.latency.dat' using 1:2 with lines lw 1.5 title '$m'"
    sep=', '
  done
  latency_plot+="$sep'n$n-baseline.latency.dat' using 1:2 with lines lw 1 dt 2 lc rgb '#888888' title 'no backfill'"
  local longest=1
  for m in $METHODS; do
    longest=$(awk -v a="$longest" -v b="${seconds_of[$n-$m]:-0}" 'BEGIN { print (b > a ? b : a) }')
  done
  (
    cd "$BENCH_OUT"
    gnuplot <<GNUPLOT
set terminal svg size 960,720 dynamic font 'sans,12' background rgb '#ffffff'
set output 'backfill-$n.svg'
set multiplot layout 2,1 title "Filling a column of $n rows, under app traffic (pgbench -R $RATE)"
set grid
set key outside right
set xrange [0:$longest]
set xlabel 'seconds since the method started'
set ylabel 'rows/s (WAL rate / WAL bytes per row)'
set format y '%.0s%c'
plot $rate_plot
set ylabel "app's worst latency in each second (ms)"
set logscale y
set format y '%g'
plot $latency_plot
unset multiplot
GNUPLOT
  ) || die "gnuplot failed on $BENCH_OUT/backfill-$n.svg"
  log "chart: $BENCH_OUT/backfill-$n.svg"
}

# raw's table: bench as seeded and expanded (email_address added, NULL), copied without the
# trigger and the NOT VALID check, with the same primary key, vacuumed and checkpointed.
prepare_raw() {
  sql <<'SQL'
DROP TABLE IF EXISTS public.bench_raw;
CREATE TABLE public.bench_raw AS SELECT * FROM public.bench;
ALTER TABLE public.bench_raw ADD PRIMARY KEY (id);
VACUUM ANALYZE public.bench_raw;
CHECKPOINT;
SQL
}

# The methods. Each fills email_address for every row of the table as seeded.
method_raw() {
  sql -c "UPDATE public.bench_raw SET email_address = email"
}

method_single() {
  sql -c "UPDATE public.bench SET email_address = email"
}

method_guide() {
  sql <<'SQL'
DO $$
DECLARE
  n bigint;
BEGIN
  LOOP
    UPDATE public.bench SET email_address = email
     WHERE id IN (SELECT id FROM public.bench WHERE email_address IS NULL LIMIT 10000);
    GET DIAGNOSTICS n = ROW_COUNT;
    COMMIT;
    EXIT WHEN n = 0;
  END LOOP;
END
$$;
SQL
}

method_keyset() {
  # Pins the end like pgphase does, so it does not chase the app's inserts.
  sql <<'SQL'
DO $$
DECLARE
  last bigint := 0;
  upper bigint;
  stop bigint;
BEGIN
  SELECT max(id) INTO stop FROM public.bench;
  LOOP
    SELECT max(id) INTO upper
      FROM (SELECT id FROM public.bench WHERE id > last AND id <= stop ORDER BY id LIMIT 1000) b;
    EXIT WHEN upper IS NULL;
    UPDATE public.bench SET email_address = email WHERE id > last AND id <= upper;
    last := upper;
    COMMIT;
  END LOOP;
END
$$;
SQL
}

# pgphase backfill under /usr/bin/time -v (peak RSS); its log is kept for the batch sizes.
method_pgphase() {
  local label=$1 plan=$2
  /usr/bin/time -v -o "$BENCH_OUT/$label.time" \
    "$PGPHASE_BIN" --dsn "$DSN" backfill "$plan" >"$BENCH_OUT/$label.pgphase.log" 2>&1
}

results=()
declare -A seconds_of
start_seconds=  # of the last reset_table's `pgphase start` (expand: column, check, trigger)
checks=()       # per size: start's time, and verify's against one count(*)

# run_method N METHOD: reset, traffic on, the method (timed), traffic off, check, rollback.
run_method() {
  local n=$1 m=$2 label="n$1-$2" t0 t1 secs stats rss=- plan=$PLAN batches=-
  reset_table "$n"
  if [[ $m == tuned ]]; then
    plan=$BENCH_OUT/plan-tuned.yaml
  elif [[ $m == workers2 ]]; then
    plan=$BENCH_OUT/plan-workers2.yaml
  fi
  local checked=public.bench
  if [[ $m == raw ]]; then
    prepare_raw
    checked=public.bench_raw
  fi
  start_app "$label" "$n"
  sleep 1
  log "$n rows: $m ..."
  local wal0 wal_log=$BENCH_OUT/$label.wal.log
  start_wal_sampler "$wal_log"
  wal0=$(sql_value "SELECT pg_current_wal_lsn()")
  t0=$(now)
  case $m in
    raw) run_waited method_raw ;;
    single) run_waited method_single ;;
    guide) run_waited method_guide ;;
    keyset) run_waited method_keyset ;;
    pgphase | tuned | workers2) run_waited method_pgphase "$label" "$plan" ||
      die "pgphase backfill failed; see $BENCH_OUT/$label.pgphase.log" ;;
    *) die "unknown method $m" ;;
  esac
  t1=$(now)
  local wal_per_row
  wal_per_row=$(sql_value "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal0') / $n)")
  stop_sampler
  if [[ $PLOT == 1 ]]; then
    {
      echo "$t0 $(sql_value "SELECT pg_wal_lsn_diff('$wal0', '0/0')")"
      echo "$t1 $(sql_value "SELECT pg_wal_lsn_diff('$wal0', '0/0') + $wal_per_row::numeric * $n")"
    } >>"$wal_log"
  fi
  stop_app
  plot_data "$label" "$t0" "$t1" "$wal_per_row"
  local wrong count_t0 count_secs
  count_t0=$(now)
  wrong=$(sql_value "SELECT count(*) FROM $checked WHERE email_address IS DISTINCT FROM email")
  count_secs=$(seconds_since "$count_t0")
  [[ $wrong == 0 ]] || die "$m left $wrong rows with email_address <> email"
  if [[ $m == pgphase ]]; then
    # `pgphase verify` (read-only batches) against that one count(*) of the same rows.
    local verify_t0 verify_secs
    verify_t0=$(now)
    "$PGPHASE_BIN" --dsn "$DSN" verify "$plan" >"$BENCH_OUT/$label.verify.log" 2>&1 ||
      die "pgphase verify failed; see $BENCH_OUT/$label.verify.log"
    verify_secs=$(seconds_since "$verify_t0")
    checks+=("$(awk -v n="$n" -v s="$start_seconds" -v v="$verify_secs" -v c="$count_secs" \
      'BEGIN { printf "%s rows: pgphase start %s s; verify %s s, one count(*) of the rows that differ %s s: verify at %.2fx its speed", n, s, v, c, (v > 0 ? c / v : 0) }')")
    log "${checks[-1]}"
  fi
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  seconds_of[$n-$m]=$secs
  stats=$(app_stats "$label" "$t0" "$t1")
  if [[ $m == pgphase || $m == tuned || $m == workers2 ]]; then
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$BENCH_OUT/$label.time")
    # batch_size over the run, from the backfill.progress lines (every 5 s).
    batches=$(grep -o 'batch_size[=:"]*[0-9]*' "$BENCH_OUT/$label.pgphase.log" |
      grep -o '[0-9]*$' | paste -sd, - || true)
    # where the time went: the sweep (step 2) and VALIDATE CONSTRAINT (step 3), in ms
    batches="$batches steps_ms=$(grep 'step.done' "$BENCH_OUT/$label.pgphase.log" |
      grep -o 'elapsed_ms=[0-9]*' | cut -d= -f2 | paste -sd/ - || true)"
  fi
  rollback
  [[ $m != raw ]] || sql -c "DROP TABLE public.bench_raw"
  local ratio raw_ratio rps
  rps=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  ratio=$(awk -v a="${seconds_of[$n-single]:-}" -v s="$secs" \
    'BEGIN { if (a == "") print "-"; else printf "%.2f", a / s }')
  raw_ratio=$(awk -v a="${seconds_of[$n-raw]:-}" -v s="$secs" \
    'BEGIN { if (a == "") print "-"; else printf "%.2f", a / s }')
  # shellcheck disable=SC2086
  set -- $stats
  results+=("| $n | $m | $secs | $rps | $raw_ratio | $ratio | $wal_per_row | $1 | $2 | $3 | $5 | $rss |")
  echo "$n $m $secs $rps $raw_ratio $ratio $wal_per_row $stats $rss $batches" >>"$BENCH_OUT/results.txt"
  log "$n rows: $m took ${secs}s ($rps rows/s, ${raw_ratio}x raw, ${ratio}x single, $wal_per_row WAL bytes/row); app p50/p99/max $1/$2/$3 ms, $5 errors, rss ${rss} MB; batch sizes: $batches"
}

run_baseline() {
  local n=$1 label="n$1-baseline" t0 t1 stats
  reset_table "$n"
  log "$n rows: baseline, ${BASELINE_SECONDS}s of app traffic without a backfill ..."
  t0=$(now)
  start_app "$label" "$n" "$BASELINE_SECONDS"
  wait "$pgbench_pid" || true
  pgbench_pid=
  t1=$(now)
  rollback
  plot_data "$label" "$t0" "$t1"
  stats=$(app_stats "$label" "$t0" "$t1")
  # shellcheck disable=SC2086
  set -- $stats
  results+=("| $n | baseline (no backfill) | ${BASELINE_SECONDS} | - | - | - | - | $1 | $2 | $3 | $5 | - |")
  echo "$n baseline $BASELINE_SECONDS - - - - $stats - -" >>"$BENCH_OUT/results.txt"
  log "$n rows: baseline app p50/p99/max $1/$2/$3 ms, $4 txns, $5 errors"
}

inner() {
  DSN=${PGPHASE_TEST_DSN:?the inner part runs under scripts/with-postgres.sh}
  find_psql
  if [[ -x ${PGPHASE_TEST_PGBIN:-}/pgbench ]]; then
    PGBENCH=$PGPHASE_TEST_PGBIN/pgbench
  fi
  command -v "$PGBENCH" >/dev/null 2>&1 || die "pgbench not found (package postgresql-contrib)"
  # A method runs in a subshell (psql, or /usr/bin/time then pgphase): stop_pids stops what
  # it runs too.
  stop_on_exit work_pid pgbench_pid sampler_pid

  PLAN=$BENCH_OUT/plan.yaml
  write_plan "$PLAN" ""
  write_plan "$BENCH_OUT/plan-tuned.yaml" "$TUNED_SETTINGS"
  write_plan "$BENCH_OUT/plan-workers2.yaml" "workers: 2"
  write_pgbench_scripts
  : >"$BENCH_OUT/results.txt"
  local t_all n m
  t_all=$(now)
  {
    echo "nproc: $(nproc)"
    free -h | sed -n 2p
    sql_value "SELECT version()"
    sql_value "SELECT 'fsync=' || current_setting('fsync') || ' synchronous_commit=' ||
      current_setting('synchronous_commit') || ' full_page_writes=' ||
      current_setting('full_page_writes')"
    "$PGBENCH" --version
    "$PGPHASE_BIN" --version 2>/dev/null || true
    echo "ROWS=$ROWS METHODS=$METHODS RATE=$RATE TUNED_SETTINGS=$TUNED_SETTINGS"
  } | tee "$BENCH_OUT/machine.txt" >&2

  for n in $ROWS; do
    run_baseline "$n"
    for m in $METHODS; do
      run_method "$n" "$m"
    done
    plot "$n"
  done

  {
    echo
    echo "| rows | method | seconds | rows/s | × raw | × single | WAL bytes/row | app p50 ms | app p99 ms | app max ms | app errors | pgphase RSS MB |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${results[@]}"
    echo
    echo "app traffic: pgbench -c 4 -j 2 -R $RATE (1/3 point reads, 1/3 updates of name, 1/3 inserts)"
    echo "tuned: settings.backfill {$TUNED_SETTINGS}"
    for n in $ROWS; do
      if [[ -n ${seconds_of[$n-pgphase]:-} && -n ${seconds_of[$n-workers2]:-} ]]; then
        awk -v n="$n" -v a="${seconds_of[$n-pgphase]}" -v b="${seconds_of[$n-workers2]}" \
          'BEGIN { printf "%s rows: workers 2 vs 1: %.2fx the speed (%s s vs %s s)\n", n, a / b, b, a }'
      fi
    done
    [[ ${#checks[@]} -eq 0 ]] || printf '%s\n' "${checks[@]}"
    awk -v a="$t_all" -v b="$(now)" 'BEGIN { printf "total run time: %.0f s\n", b - a }'
  } | tee "$BENCH_OUT/results.md"
  log "logs and results in $BENCH_OUT"
}

outer_or_inner "$@"
