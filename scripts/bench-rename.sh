#!/usr/bin/env bash
# A rename moves no data (issue 18): the catalog-only rename_column against the copy path, side
# by side in one run. Not a test: scripts/test.sh does not run it. With the defaults (5M rows)
# it takes about 5 minutes on a 2-core VM (seeding ~1, copy's backfill 2-4 of them: its
# VALIDATE can wait minutes for the autovacuum that its 5M updates set off); ROWS=200000 takes
# about 30 s.
#
# On ONE throwaway PostgreSQL (scripts/with-postgres.sh), for each method in METHODS, in a
# database of its own: seeds `users` (id bigserial PRIMARY KEY, email text NOT NULL with a
# UNIQUE constraint users_email_key (Prisma's name) and an index users_lower_email_idx on
# lower(email), name, created_at, a 100-byte payload) with ROWS rows, VACUUM ANALYZE,
# CHECKPOINT; records the OIDs and relfilenodes of the table and its indexes and the attnum of
# email. Then, under application traffic (pgphase-traffic, tools/traffic): the old app on
# public (reads by id, by email and by lower(email), UPDATE ... SET email, INSERTs) for
# BASELINE seconds, then `pgphase start`, the new app on the version schema (the same queries
# with email_address) as soon as that exists (after start for auto, after the backfill for
# copy), `pgphase backfill`, both apps side by side for SIDE_BY_SIDE seconds, the old app
# stopped, `pgphase complete`, the new app 2 s more, stopped. The plan is one change:
#   auto   - rename_column: {table: users, from: email, to: email_address}
#          (the default: contract runs ALTER TABLE ... RENAME COLUMN; no shadow column,
#          trigger or backfill; the version schema's view shows "email" AS "email_address")
#   copy   - the same with `method: copy` (shadow column + sync trigger at start, backfill
#          copying every row, indexes rebuilt CONCURRENTLY, old column dropped at contract)
#
# Reported per method: wall time of start, backfill, complete and their sum; rows backfilled
# (rows_backfilled of pgphase's command.done lines); the longest ACCESS EXCLUSIVE lock, two
# ways, as scripts/demo.sh does: the wall time of the longest step whose log line says it
# takes ACCESS EXCLUSIVE (an upper bound on the lock held), and a pg_locks sampler (~10 ms);
# WAL bytes from just before `pgphase start` to just after `complete` (pg_wal_lsn_diff; it
# includes the apps' own writes in that window, whose rate alone, measured during the
# baseline, is reported too); whether the index OIDs and the column's attnum survived (and
# whether the table was rewritten); each app's queries, errors, p50/p99/max latency (each
# client's first second, its connect, left out of the latencies); the backfill's steps and the
# lock timeouts pgphase retried. Then auto/copy for time and WAL. Exits non-zero if an app
# query failed, pgphase failed, or auto changed an index OID or the attnum, rewrote the table,
# or backfilled a row (for copy the OIDs and attnum change, as they must: reported, not
# checked).
#
# Environment:
#   ROWS=5000000          rows in users (ROWS=200000 for a quick run; >= 10000)
#   METHODS="auto copy"
#   RATE=100              queries per second of each app (2 connections each)
#   BASELINE=3            seconds of old-app traffic alone before start
#   SIDE_BY_SIDE=3        seconds both apps run before the old one stops and complete runs
#   STATEMENT_TIMEOUT=5s  an app query blocked longer fails (and counts as an error)
#   PGPHASE_BIN, TRAFFIC_BIN  use these binaries instead of building build/pgphase{,-traffic}
#   BENCH_OUT=dir         logs and results (default: a new /tmp/pgphase-rename.*)
#
# Usage: scripts/bench-rename.sh
set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

export ROWS=${ROWS:-5000000}
export METHODS=${METHODS:-"auto copy"}
export RATE=${RATE:-100}
export BASELINE=${BASELINE:-3}
export SIDE_BY_SIDE=${SIDE_BY_SIDE:-3}
export STATEMENT_TIMEOUT=${STATEMENT_TIMEOUT:-5s}
# Upper bounds on the background loops (app clients, lock sampler), should the script be
# unable to stop them: each ends on its own after this many seconds.
export BENCH_MAX_SECONDS=${BENCH_MAX_SECONDS:-10800}

# --- outer part: deps, build, then the inner part against a throwaway server ---------------
outer() {
  no_arguments "$@"
  [[ $ROWS =~ ^[0-9]+$ && $ROWS -ge 10000 ]] || die "ROWS must be an integer >= 10000"
  [[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 ]] || die "RATE must be a positive integer"
  [[ $BASELINE =~ ^[0-9]+$ && $BASELINE -ge 1 ]] || die "BASELINE must be a whole number >= 1"
  [[ $SIDE_BY_SIDE =~ ^[0-9]+$ ]] || die "SIDE_BY_SIDE must be a whole number of seconds"
  local m
  for m in $METHODS; do
    [[ $m == auto || $m == copy ]] || die "METHODS may hold auto and copy, not '$m'"
  done
  bash scripts/deps.sh
  build_binaries --absolute RelWithDebInfo pgphase pgphase-traffic
  out_dir BENCH_OUT pgphase-rename
  log "logs and results in $BENCH_OUT"
  inner_on_new_server
}

# --- inner part: runs with PGPHASE_TEST_DSN set by with-postgres.sh --------------------------
OUT=
old_pid=
new_pid=
method=
plan=

# The apps' statements, taken in turn; each takes $1, a random id. The old app knows only the
# base table and `email`, the new one only the version schema's view and `email_address`.
# shellcheck disable=SC2016  # $1 is the statement's parameter, not a shell variable
OLD_APP_QUERIES=(
  'SELECT id, email, name FROM users WHERE id = $1::bigint'
  "SELECT id, name FROM users WHERE email = 'user' || \$1::bigint || '@example.com'"
  "UPDATE users SET email = 'user' || \$1::bigint || '@example.org' WHERE id = \$1::bigint"
  "SELECT id, email FROM users WHERE lower(email) = lower('USER' || \$1::bigint || '@EXAMPLE.ORG')"
  "INSERT INTO users (email, name) VALUES ('old' || \$1::bigint || '.' || gen_random_uuid() || '@example.com', 'old app')"
)
# shellcheck disable=SC2016
NEW_APP_QUERIES=(
  'SELECT id, email_address, name FROM users WHERE id = $1::bigint'
  "SELECT id, name FROM users WHERE email_address = 'user' || \$1::bigint || '@example.com'"
  "UPDATE users SET email_address = 'user' || \$1::bigint || '@example.net' WHERE id = \$1::bigint"
  "SELECT id, email_address FROM users WHERE lower(email_address) = lower('USER' || \$1::bigint || '@EXAMPLE.NET')"
  "INSERT INTO users (email_address, name) VALUES ('new' || \$1::bigint || '.' || gen_random_uuid() || '@example.com', 'new app')"
)

# start_app NAME SEARCH_PATH QUERY...: pgphase-traffic in the background; sets app_pid.
start_app() {
  local name=$1 search_path=$2
  shift 2
  start_traffic "$TRAFFIC_BIN" "$name" "$search_path" "$OUT/$method.$name" \
    --statement-timeout "$STATEMENT_TIMEOUT" --duration "${BENCH_MAX_SECONDS}s" -- "$@"
  log "$method: $name started (pid $app_pid), $RATE queries/s, search_path $search_path"
}

# stop_app PID NAME: stop_traffic; a failed client is named in app_failed.
stop_app() { stop_traffic "$1" "$OUT/$method.$2" "$method/$2"; }

# Samples pg_locks every 10 ms for ACCESS EXCLUSIVE locks granted on public.users of this
# database (as scripts/demo.sh does): one line "EPOCH_S|PIDS" per sample, PIDS empty when no
# backend held one, so that the sampling interval and its gaps show too.
start_lock_sampler() {
  start_sampler "$OUT/$method.locks.log" 0.01 "SELECT extract(epoch FROM clock_timestamp()),
        coalesce((SELECT string_agg(l.pid::text, ',') FROM pg_locks l
          WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.relation = 'public.users'::regclass), '');" "$BENCH_MAX_SECONDS"
}

# "SEEN LONGEST_MS TAKEN INTERVAL_MS MAX_GAP_MS": samples that saw the lock; the longest run of
# consecutive samples (gaps < 50 ms) of one backend holding it, first to last sample (0: seen
# in single samples only, so held for less than about one interval); samples taken, their
# mean interval and the longest gap between two (a lock shorter than that could be missed).
sampled_locks() {
  awk -F'|' '
    NF == 2 {
      if (taken++ > 0) { gap = $1 - prev; if (gap > max_gap) max_gap = gap }
      else first_sample = $1
      prev = $1
      if ($2 == "") { pid = ""; next }
      if ($2 == pid && $1 - last < 0.05) { held = $1 - first } else { first = $1; held = 0 }
      pid = $2; last = $1; if (held > max) max = held; seen++
    }
    END { printf "%d %.0f %d %.1f %.0f\n", seen, max * 1000, taken,
            (taken > 1 ? (prev - first_sample) / (taken - 1) * 1000 : 0), max_gap * 1000 }' \
    "$OUT/$method.locks.log"
}

# "MS SUMMARY" of the longest step that took ACCESS EXCLUSIVE, from step.started (lock=...)
# and the following step.done (elapsed_ms=...) lines of pgphase's log; "- none" if none did.
longest_exclusive_step() {
  awk '
    /step\.started/ { exclusive = ($0 ~ /ACCESS EXCLUSIVE/); summary = $0
                      sub(/.*summary=/, "", summary) }
    /step\.done/ && exclusive { ms = $0; sub(/.*elapsed_ms=/, "", ms); sub(/[^0-9].*/, "", ms)
                                print ms, summary; exclusive = 0 }' "$OUT/$method.pgphase.log" |
    sort -n | tail -n 1 | grep . || echo "- none"
}

# pgphase_cmd COMMAND: runs `pgphase COMMAND plan` (its log appended to $method.pgphase.log),
# sets secs to its wall time; stops the bench on failure.
secs=
pgphase_cmd() {
  local command=$1 t0 rc=0
  echo "### pgphase $command" >>"$OUT/$method.pgphase.log"
  t0=$(now)
  run_waited "$PGPHASE_BIN" --dsn "$DSN" "$command" "$plan" >>"$OUT/$method.pgphase.log" 2>&1 ||
    rc=$?
  secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
  [[ $rc -eq 0 ]] || die "$method: pgphase $command failed (exit $rc); see $OUT/$method.pgphase.log"
  log "$method: pgphase $command took ${secs}s"
}

# The version schema, once it exists: its name, else "".
ready_version_schema() {
  local json
  json=$("$PGPHASE_BIN" --dsn "$DSN" status --json)
  grep -q '"version_schema_ready": *true' <<<"$json" || return 0
  grep -o '"version_schema": *"[^"]*"' <<<"$json" | head -n 1 | sed 's/.*: *"//; s/"$//'
}

# Identity of the table, its indexes and the column, one line per object, sorted:
#   index NAME OID RELFILENODE / table users OID RELFILENODE / column NAME ATTNUM
catalog_snapshot() {
  sql_value "SELECT 'index ' || c.relname || ' ' || c.oid || ' ' || c.relfilenode
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = 'public.users'::regclass
             UNION ALL
             SELECT 'table users ' || oid || ' ' || relfilenode FROM pg_class
              WHERE oid = 'public.users'::regclass
             UNION ALL
             SELECT 'column ' || attname || ' ' || attnum FROM pg_attribute
              WHERE attrelid = 'public.users'::regclass AND attname IN ('email', 'email_address')
                AND NOT attisdropped
             ORDER BY 1"
}

seed() {
  # shellcheck disable=SC2119  # the SQL on stdin
  sql <<SQL
CREATE TABLE public.users (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  payload text
);
INSERT INTO public.users (email, name, payload)
  SELECT 'user' || i || '@example.com', 'User ' || i, rpad(md5(i::text), 100, md5((-i)::text))
  FROM generate_series(1, $ROWS) AS i;
ALTER SEQUENCE public.users_id_seq RESTART WITH $((ROWS + 1));
ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX users_lower_email_idx ON public.users (lower(email));
VACUUM ANALYZE public.users;
CHECKPOINT;
SQL
}

declare -A R=()
failures=()

# run_method METHOD: a database of its own, seeded; the migration under both apps; checks.
run_method() {
  method=$1
  local db=bench_rename_$method t0
  plan=$OUT/$method.plan.yaml
  : >"$OUT/$method.pgphase.log"
  "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$PGPHASE_TEST_DSN" -c "CREATE DATABASE $db"
  DSN=${PGPHASE_TEST_DSN%/*}/$db
  {
    echo "name: bench_rename_email"
    echo "schema: public"
    echo "changes:"
    if [[ $method == copy ]]; then
      echo "  - rename_column: {table: users, from: email, to: email_address, method: copy}"
    else
      echo "  - rename_column: {table: users, from: email, to: email_address}"
    fi
  } >"$plan"

  log "$method: seeding $ROWS rows ..."
  t0=$(now)
  seed
  R[$method,seed]=$(elapsed "$t0" "$(now)")
  log "$method: seeded in ${R[$method,seed]}s"
  catalog_snapshot >"$OUT/$method.catalog-before.txt"
  "$PGPHASE_BIN" --dsn "$DSN" plan "$plan" >"$OUT/$method.plan.txt" 2>&1 ||
    die "$method: pgphase plan failed; see $OUT/$method.plan.txt"

  # The old app alone for BASELINE seconds: the WAL the app writes by itself.
  local lsn_app lsn0 lsn1 t_app t_start t_done
  start_app old-app public "${OLD_APP_QUERIES[@]}"
  old_pid=$app_pid
  lsn_app=$(sql_value "SELECT pg_current_wal_lsn()")
  t_app=$(now)
  sleep "$BASELINE"

  start_lock_sampler
  lsn0=$(sql_value "SELECT pg_current_wal_lsn()")
  t_start=$(now)
  R[$method,app_wal_rate]=$(sql_value "SELECT round(pg_wal_lsn_diff('$lsn0', '$lsn_app')
                                               / $(elapsed "$t_app" "$t_start"))")
  pgphase_cmd start
  R[$method,start]=$secs

  local vs
  vs=$(ready_version_schema)
  if [[ -n $vs ]]; then
    start_app new-app "$vs" "${NEW_APP_QUERIES[@]}"
    new_pid=$app_pid
    R[$method,new_app_from]="after start"
  fi
  pgphase_cmd backfill
  R[$method,backfill]=$secs
  if [[ -z $new_pid ]]; then
    vs=$(ready_version_schema)
    [[ -n $vs ]] || die "$method: the version schema is not ready after the backfill"
    start_app new-app "$vs" "${NEW_APP_QUERIES[@]}"
    new_pid=$app_pid
    R[$method,new_app_from]="after backfill"
  fi
  sleep "$SIDE_BY_SIDE"

  # Every instance runs the new version now: the old app stops before contract.
  stop_app "$old_pid" old-app
  old_pid=
  pgphase_cmd complete
  R[$method,complete]=$secs
  lsn1=$(sql_value "SELECT pg_current_wal_lsn()")
  t_done=$(now)
  sleep 2
  stop_app "$new_pid" new-app
  new_pid=
  stop_sampler

  # --- what happened ------------------------------------------------------------------------
  R[$method,total]=$(awk -v a="${R[$method,start]}" -v b="${R[$method,backfill]}" \
    -v c="${R[$method,complete]}" 'BEGIN { printf "%.2f", a + b + c }')
  R[$method,window]=$(elapsed "$t_start" "$t_done")
  R[$method,wal]=$(sql_value "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
  R[$method,rows]=$(awk '/command\.done/ && match($0, /rows_backfilled=[0-9]+/) {
      n += substr($0, RSTART + 16, RLENGTH - 16) } END { print n + 0 }' "$OUT/$method.pgphase.log")
  # Where the backfill's time went: elapsed_ms of each step (sweep, VALIDATE, index builds,
  # version schema); and how often a step timed out on a lock and tried again.
  R[$method,backfill_steps]=$(awk '/^### pgphase/ { on = ($3 == "backfill") }
      on && /step\.done/ && match($0, /elapsed_ms=[0-9]+/) {
        printf "%s%s", sep, substr($0, RSTART + 11, RLENGTH - 11); sep = "/" }' \
    "$OUT/$method.pgphase.log")
  R[$method,retries]=$(grep -c 'step\.retry' "$OUT/$method.pgphase.log" || true)
  local lock
  lock=$(longest_exclusive_step)
  R[$method,lock_ms]=${lock%% *}
  R[$method,lock_step]=${lock#* }
  local seen sampled_ms taken interval max_gap
  read -r seen sampled_ms taken interval max_gap < <(sampled_locks)
  if [[ $seen == 0 ]]; then
    R[$method,lock_sampled]="not seen"
  elif [[ $sampled_ms == 0 ]]; then
    R[$method,lock_sampled]="< 1 interval"
  else
    R[$method,lock_sampled]="$sampled_ms ms"
  fi
  R[$method,lock_samples]="$seen / $taken (${interval} ms, ${max_gap} ms)"
  "$PGPHASE_BIN" --dsn "$DSN" history --steps >"$OUT/$method.history.txt" 2>&1 || true

  catalog_snapshot >"$OUT/$method.catalog-after.txt"
  local before_oids after_oids kept=0 total=0 oid attnum0 attnum1 rel0 rel1
  before_oids=$(awk '$1 == "index" { print $3 }' "$OUT/$method.catalog-before.txt")
  after_oids=$(awk '$1 == "index" { print $3 }' "$OUT/$method.catalog-after.txt")
  for oid in $before_oids; do
    total=$((total + 1))
    if grep -qx "$oid" <<<"$after_oids"; then
      kept=$((kept + 1))
    fi
  done
  R[$method,oids]="$kept/$total"
  R[$method,oids_ok]=$([[ $kept -eq $total ]] && echo yes || echo no)
  attnum0=$(awk '$1 == "column" && $2 == "email" { print $3 }' "$OUT/$method.catalog-before.txt")
  attnum1=$(awk '$1 == "column" && $2 == "email_address" { print $3 }' "$OUT/$method.catalog-after.txt")
  R[$method,attnum]="$attnum0 -> ${attnum1:-?}"
  R[$method,attnum_ok]=$([[ $attnum0 == "${attnum1:-}" ]] && echo yes || echo no)
  rel0=$(awk '$1 == "table" { print $4 }' "$OUT/$method.catalog-before.txt")
  rel1=$(awk '$1 == "table" { print $4 }' "$OUT/$method.catalog-after.txt")
  R[$method,rewritten]=$([[ $rel0 == "$rel1" ]] && echo no || echo yes)
  R[$method,indexes_after]=$(awk '$1 == "index" { print $2 }' "$OUT/$method.catalog-after.txt" |
    paste -sd' ' -)

  # The end state: email is gone, email_address is complete, every row is there.
  local left nulls rows inserted
  left=$(sql_value "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.users'::regclass
                      AND attname = 'email' AND NOT attisdropped")
  [[ $left == 0 ]] || failures+=("$method: users.email still exists after complete")
  nulls=$(sql_value "SELECT count(*) FROM public.users WHERE email_address IS NULL")
  [[ $nulls == 0 ]] || failures+=("$method: $nulls rows with a NULL email_address")
  rows=$(sql_value "SELECT count(*) FROM public.users")
  inserted=$(sql_value "SELECT count(*) FROM public.users WHERE name IN ('old app', 'new app')")
  [[ $rows == $((ROWS + inserted)) ]] ||
    failures+=("$method: $rows rows, expected $ROWS seeded + $inserted inserted by the apps")

  # Each "QUERIES ERRORS P50 P99 MAX". A client's first query opens its connection, which
  # shows as that query's latency: the latency columns leave each client's first second out
  # (its .warm.log); queries and errors count everything.
  local app
  for app in old-app new-app; do
    R[$method,$app]=$("$TRAFFIC_BIN" report "$OUT/$method.$app.log")
    awk 'NR == 1 { from = $1 + 1000000 } $1 >= from' "$OUT/$method.$app.log" \
      >"$OUT/$method.$app.warm.log"
    R[$method,$app.warm]=$("$TRAFFIC_BIN" report "$OUT/$method.$app.warm.log")
  done
  R[$method,during]=$("$TRAFFIC_BIN" report "$OUT/$method.old-app.log" "$OUT/$method.new-app.log" \
    --from "$t_start" --to "$t_done")
  R[$method,during.warm]=$("$TRAFFIC_BIN" report "$OUT/$method.old-app.warm.log" \
    "$OUT/$method.new-app.warm.log" --from "$t_start" --to "$t_done")

  if [[ $method == auto ]]; then
    [[ ${R[auto,oids_ok]} == yes ]] || failures+=("auto: index OIDs changed (${R[auto,oids]} kept)")
    [[ ${R[auto,attnum_ok]} == yes ]] || failures+=("auto: attnum changed (${R[auto,attnum]})")
    [[ ${R[auto,rewritten]} == no ]] || failures+=("auto: the table was rewritten")
    [[ ${R[auto,rows]} == 0 ]] || failures+=("auto: backfilled ${R[auto,rows]} rows")
  fi
  log "$method: done; indexes after: ${R[$method,indexes_after]}"
  "$PSQL" -X -q -d "$PGPHASE_TEST_DSN" -c "DROP DATABASE $db" || true
}

# --- the summary ------------------------------------------------------------------------------
row() { # LABEL KEY [FORMAT-FUNCTION]: one line of the table, one cell per method
  local label=$1 key=$2 fn=${3:-} m line
  line="| $label |"
  for m in $METHODS; do
    if [[ -n $fn ]]; then
      line+=" $("$fn" "${R[$m,$key]:-}") |"
    else
      line+=" ${R[$m,$key]:--} |"
    fi
  done
  echo "$line"
}
fmt_mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB (%.0f B)", b / 1048576, b }'; }
fmt_kbs() { awk -v b="$1" 'BEGIN { printf "%.1f kB/s", b / 1024 }'; }
fmt_ms() {
  case $1 in
    - | "") echo "none" ;;
    0) echo "<1 ms" ;;
    *) echo "$1 ms" ;;
  esac
}
fmt_count() { # QUERIES ERRORS P50 P99 MAX -> queries / errors (max, first query included)
  local q e max
  read -r q e _ _ max <<<"$1"
  echo "$q / $e ($max)"
}
fmt_latency() { # QUERIES ERRORS P50 P99 MAX -> p50 / p99 / max
  local p50 p99 max
  read -r _ _ p50 p99 max <<<"$1"
  echo "$p50 / $p99 / $max"
}
ratio() { # KEY: auto / copy
  awk -v a="${R[auto,$1]:-}" -v c="${R[copy,$1]:-}" \
    'BEGIN { if (a == "" || c == "" || a + 0 == 0 || c + 0 == 0) print "-"
             else printf "%.4f (copy %.0fx auto)", a / c, c / a }'
}

summary() {
  local m header="| | " rule="|---|"
  for m in $METHODS; do
    header+="$m | "
    rule+="---:|"
  done
  echo
  echo "users: $ROWS rows; apps: $RATE queries/s each on 2 connections"
  echo "${header% }"
  echo "$rule"
  row "seed (not measured) s" seed
  row "pgphase start s" start
  row "pgphase backfill s" backfill
  row "pgphase complete s" complete
  row "total s (start + backfill + complete)" total
  row "start to end of complete s (with the apps' pauses)" window
  row "rows backfilled" rows
  row "  backfill steps, ms each" backfill_steps
  row "lock timeouts retried (step.retry)" retries
  row "longest ACCESS EXCLUSIVE, step wall time" lock_ms fmt_ms
  row "  that step" lock_step
  row "longest ACCESS EXCLUSIVE, pg_locks sampled ~10 ms" lock_sampled
  row "  samples that saw one / taken (mean interval, longest gap)" lock_samples
  row "WAL, start to end of complete" wal fmt_mb
  row "  WAL of the old app alone (baseline)" app_wal_rate fmt_kbs
  row "index OIDs unchanged" oids
  row "email attnum -> email_address attnum" attnum
  row "table rewritten (relfilenode)" rewritten
  row "indexes after" indexes_after
  row "new app started" new_app_from
  row "old app: queries / errors (max ms incl. connect)" old-app fmt_count
  row "old app: p50 / p99 / max ms" old-app.warm fmt_latency
  row "new app: queries / errors (max ms incl. connect)" new-app fmt_count
  row "new app: p50 / p99 / max ms" new-app.warm fmt_latency
  row "both apps, start..complete: queries / errors" during fmt_count
  row "both apps, start..complete: p50 / p99 / max ms" during.warm fmt_latency
  if [[ -n ${R[auto,total]:-} && -n ${R[copy,total]:-} ]]; then
    echo
    echo "auto/copy: time (total) $(ratio total), WAL $(ratio wal)," \
      "complete $(ratio complete)"
  fi
  echo "latency: each client's first second (its connect) left out; old app stopped before complete"
}

inner() {
  [[ -n ${PGPHASE_TEST_DSN:-} ]] || die "--inner needs PGPHASE_TEST_DSN"
  OUT=${BENCH_OUT:?}
  find_psql
  # The sampler runs under timeout(1), which passes SIGTERM on to psql.
  stop_on_exit work_pid old_pid new_pid sampler_pid
  local t_all m
  t_all=$(now)
  {
    echo "nproc: $(nproc)"
    free -h | sed -n 2p
    "$PSQL" -X -At -d "$PGPHASE_TEST_DSN" -c "SELECT version()"
    echo "ROWS=$ROWS METHODS=$METHODS RATE=$RATE BASELINE=$BASELINE SIDE_BY_SIDE=$SIDE_BY_SIDE"
  } | tee "$OUT/machine.txt" >&2

  for m in $METHODS; do
    run_method "$m"
  done

  {
    summary
    awk -v a="$t_all" -v b="$(now)" 'BEGIN { printf "bench run time: %.0f s\n", b - a }'
  } | tee "$OUT/results.md"

  for m in $METHODS; do
    local app
    for app in old-app new-app; do
      local errors
      errors=$(awk '{ print $2 }' <<<"${R[$m,$app]}")
      [[ $errors == 0 ]] || failures+=("$m: $app had $errors failed queries (see $OUT/$m.$app.out)")
    done
  done
  [[ -z $app_failed ]] || failures+=("app client(s) exited non-zero:$app_failed")
  log "logs and results in $OUT"
  if [[ ${#failures[@]} -gt 0 ]]; then
    printf 'bench-rename.sh: FAILED: %s\n' "${failures[@]}" >&2
    exit 1
  fi
  log "OK"
}

outer_or_inner "$@"
