#!/usr/bin/env bash
# How long the app waits while pgphase waits for a lock (issue 15). Not a test:
# scripts/test.sh does not run it; it takes about 2 minutes with the defaults.
#
# On ONE throwaway PostgreSQL (scripts/with-postgres.sh), for each variant in VARIANTS, on a
# fresh `users` table of ROWS rows: application traffic runs (pgphase-traffic: point reads and
# updates of `users` by id, the old app on public; the new app on the version schema once it
# is ready), and a "report" session holds ACCESS SHARE on `users` for HOLD seconds right
# before each of `pgphase start`, `backfill` and `complete` of a column rename (in the
# autovacuum variants, a crawling autovacuum holds SHARE UPDATE EXCLUSIVE instead). While a DDL
# statement waits for its lock, every app query on the table queues behind it, so the app's
# worst latency shows how long pgphase's lock waits are. Reported per variant and command: the
# app's queries, errors, p50/p99/max latency in that command's window, pgphase's exit code and
# seconds, and how many lock retries it logged.
#
# Variants (the plan's settings):
#   default      no lock setting: the default schedule (50ms x20, 80ms x20)
#   2s           lock_timeout: 2s (every attempt; pgphase's default before the schedule)
#   500ms        lock_timeout: 500ms
#   autovacuum   the default schedule; instead of the report, an autovacuum of `users` (made to
#                crawl: cost limit 1, 100 ms delays, autovacuum_naptime 1s) holds the table;
#                pgphase runs as the superuser, which cancels it
#   autovacuum-role  the same with pgphase as a role that may read all statistics but not
#                signal autovacuum workers: one attempt outwaits deadlock_timeout
#
# Environment:
#   VARIANTS="default 2s 500ms"
#   ROWS=200000  HOLD=6  RATE=200 (app queries per second, per app)
#   PGPHASE_BIN, TRAFFIC_BIN  use these binaries instead of building build/pgphase{,-traffic}
#   BENCH_OUT=dir             logs and results (default: a new /tmp/pgphase-lockwait.*)
#
# Usage: scripts/bench-lock-wait.sh
set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

export VARIANTS=${VARIANTS:-"default 2s 500ms"}
export ROWS=${ROWS:-200000}
export HOLD=${HOLD:-6}
export RATE=${RATE:-200}

outer() {
  no_arguments "$@"
  [[ $ROWS =~ ^[0-9]+$ && $ROWS -ge 1000 ]] || die "ROWS must be an integer >= 1000"
  [[ $HOLD =~ ^[0-9]+$ && $HOLD -ge 1 ]] || die "HOLD must be a whole number of seconds >= 1"
  bash scripts/deps.sh
  build_binaries RelWithDebInfo pgphase pgphase-traffic
  export BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/pgphase-lockwait.XXXXXX)}
  chmod 755 "$BENCH_OUT"
  exec bash scripts/with-postgres.sh bash "$SELF" --inner
}

# --- inner part: PGPHASE_TEST_DSN points at the throwaway server ---------------------------
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DSN" "$@"; }

declare -A app_pid=()
start_app() { # NAME SEARCH_PATH EMAIL_COLUMN
  "$TRAFFIC_BIN" run --dsn "$DSN" --name "$1" --search-path "$2" --clients 2 --rate "$RATE" \
    --max-id "$ROWS" --log "$OUT/$variant.$1.log" --statement-timeout 30s \
    --query "SELECT id, $3 FROM users WHERE id = \$1::bigint" \
    --query "UPDATE users SET name = 'n' || \$1 WHERE id = \$1::bigint" \
    >"$OUT/$variant.$1.out" 2>&1 &
  app_pid[$1]=$!
}
stop_app() { # NAME: the client writes its log and summary when it stops
  kill -TERM "${app_pid[$1]}" 2>/dev/null || true
  wait "${app_pid[$1]}" 2>/dev/null || true
}

# An autovacuum of `users` that crawls (it holds SHARE UPDATE EXCLUSIVE for minutes), once it
# has started.
hold_by_autovacuum() {
  psql_db -c "ALTER TABLE users SET (autovacuum_vacuum_threshold = 0,
      autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100,
      autovacuum_vacuum_cost_limit = 1)" -c "UPDATE users SET name = name"
  local i
  for ((i = 0; i < 240; i++)); do
    if [[ $(psql_db -Atc "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
        ON a.pid = l.pid WHERE a.backend_type = 'autovacuum worker' AND l.granted
        AND l.relation = 'users'::regclass") != 0 ]]; then
      return
    fi
    sleep 0.25
  done
  die "no autovacuum started on users within 60 s"
}

# run_command VARIANT COMMAND PLAN: a HOLD-second ACCESS SHARE holder (or an autovacuum), then
# the command.
run_command() {
  local variant=$1 command=$2 plan=$3 t0 t1 rc=0 retries holder=""
  if [[ $variant == autovacuum* ]]; then
    hold_by_autovacuum
  else
    psql -X -q -d "$DSN" -c "SET application_name = 'bench report'" \
      -c "BEGIN" -c "SELECT count(*) FROM users" -c "SELECT pg_sleep($HOLD)" -c "COMMIT" \
      >/dev/null 2>&1 &
    holder=$!
    sleep 0.3 # the holder has its lock before pgphase asks for one
  fi
  t0=$(now)
  "$PGPHASE_BIN" "$command" "$plan" --dsn "$MIGRATOR_DSN" >"$OUT/$variant-$command.out" \
    2>"$OUT/$variant-$command.err" || rc=$?
  t1=$(now)
  [[ -z $holder ]] || wait "$holder" || true
  sleep 0.5 # queries that were waiting finish inside the window
  retries=$(grep -c 'step.retry' "$OUT/$variant-$command.err" || true)
  # The app's latency in this window is read once the clients have stopped (their logs).
  windows+=("$command $rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') $retries $t0 $(now)")
}

inner() {
  [[ -n ${PGPHASE_TEST_DSN:-} ]] || die "--inner needs PGPHASE_TEST_DSN"
  OUT=$BENCH_OUT
  log "results and logs in $OUT"
  printf '%-15s %-9s %4s %7s %8s  %s\n' variant command exit seconds retries \
    "app: queries errors p50_ms p99_ms max_ms" | tee "$OUT/results.txt"
  if [[ " $VARIANTS " == *" autovacuum"* ]]; then
    # The launcher looks at each database every second, so the crawling autovacuum starts soon.
    psql -X -q -d "$PGPHASE_TEST_DSN" -c "ALTER SYSTEM SET autovacuum_naptime = '1s'" \
      -c "SELECT pg_reload_conf()" >/dev/null
  fi
  for variant in $VARIANTS; do
    local db=lockwait_${variant//[^a-z0-9]/_}
    psql -X -q -d "$PGPHASE_TEST_DSN" -c "CREATE DATABASE $db"
    DSN=${PGPHASE_TEST_DSN%/*}/$db
    MIGRATOR_DSN=$DSN
    psql_db -c "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text)" \
      -c "INSERT INTO users (email, name) SELECT 'u' || i || '@example.com', 'n' || i
          FROM generate_series(1, $ROWS) i" -c "VACUUM ANALYZE users"
    local settings=""
    case $variant in
      default | autovacuum) settings="" ;;
      autovacuum-role)
        # May see every session (pg_read_all_stats), may not signal an autovacuum worker.
        psql_db -c "DROP ROLE IF EXISTS bench_migrator" -c "CREATE ROLE bench_migrator LOGIN" \
          -c "GRANT pg_read_all_stats TO bench_migrator" \
          -c "GRANT CREATE ON DATABASE $db TO bench_migrator" \
          -c "GRANT CREATE ON SCHEMA public TO bench_migrator" \
          -c "ALTER TABLE users OWNER TO bench_migrator"
        MIGRATOR_DSN=${DSN/\/\/postgres@/\/\/bench_migrator@}
        ;;
      *) settings="settings: {lock_timeout: $variant}" ;;
    esac
    local plan=$OUT/$variant.yaml
    printf 'name: rename_users_email\n%s\nchanges:\n  - rename_column: {table: users, from: email, to: email_address, method: copy}\n' \
      "$settings" >"$plan"
    # The old app version runs through start and backfill; the new one (on the version
    # schema, once it is ready) from then on; contract comes once the old one is gone.
    windows=()
    start_app old-app public email
    sleep 2
    run_command "$variant" start "$plan"
    run_command "$variant" backfill "$plan"
    local schema
    schema=$("$PGPHASE_BIN" status --json --dsn "$DSN" |
      grep -o '"version_schema": *"[^"]*"' | head -n 1 | sed 's/.*: *"//; s/"$//')
    [[ -n $schema ]] || die "no version schema after the backfill"
    start_app new-app "$schema" email_address
    sleep 2
    stop_app old-app
    run_command "$variant" complete "$plan"
    stop_app new-app
    [[ $variant != autovacuum-role ]] || psql_db -c "REASSIGN OWNED BY bench_migrator TO postgres" \
      -c "DROP OWNED BY bench_migrator"
    local w command rc seconds retries from to
    for w in "${windows[@]}"; do
      read -r command rc seconds retries from to <<<"$w"
      printf '%-15s %-9s %4s %7s %8s  %s\n' "$variant" "$command" "$rc" "$seconds" "$retries" \
        "$("$TRAFFIC_BIN" report "$OUT/$variant".*-app.log --from "$from" --to "$to")" |
        tee -a "$OUT/results.txt"
    done
  done
  log "done: $OUT/results.txt"
}

outer_or_inner "$@"
