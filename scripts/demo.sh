#!/usr/bin/env bash
# Demo for a newcomer on a fresh machine: installs what is needed, builds pgphase, starts a
# throwaway PostgreSQL with a 1,000,000-row users table, starts an "old app" and a "new app"
# client, and runs plans/demo.yaml (rename a column, add a NOT NULL column filled by backfill,
# build an index) through start -> backfill -> complete under that traffic. Ends with a report:
# steps, rows backfilled and rows/s, the longest ACCESS EXCLUSIVE lock, the app's queries,
# errors and latency before vs during. Exits non-zero on any app error or failed check. From
# just before start to the end, `pgphase serve` shows the migration live in a browser.
#
# Environment:
#   PGPHASE_DEMO_ROWS=1000000     rows in users (>= 1000)
#   PGPHASE_DEMO_RATE=100         queries per second of each app (old and new)
#   PGPHASE_DEMO_BASELINE=10      seconds of old-app traffic before the migration starts
#   PGPHASE_DEMO_OUT=dir          where the logs go (default: a new /tmp/pgphase-demo.*)
#   PGPHASE_DEMO_PORT=8080        port of the status page on 127.0.0.1 (taken: any free one)
#   PGPHASE_JOBS=2                build parallelism
#   PGPHASE_BIN, TRAFFIC_BIN      use these binaries instead of building build/pgphase{,-traffic}
# docs/demo.md explains the report.
set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
PLAN=plans/demo.yaml
# Given binaries are made absolute here, before the cd below (and the inner part inherits them).
if [[ -n ${PGPHASE_BIN:-} ]]; then
  PGPHASE_BIN=$(realpath -- "$PGPHASE_BIN")
  export PGPHASE_BIN
fi
if [[ -n ${TRAFFIC_BIN:-} ]]; then
  TRAFFIC_BIN=$(realpath -- "$TRAFFIC_BIN")
  export TRAFFIC_BIN
fi
BIN=${PGPHASE_BIN:-build/pgphase}
TRAFFIC=${TRAFFIC_BIN:-build/pgphase-traffic} # the application client (tools/traffic), not part of pgphase
PORT=${PGPHASE_DEMO_PORT:-8080}
ROWS=${PGPHASE_DEMO_ROWS:-1000000}
RATE=${PGPHASE_DEMO_RATE:-100}
BASELINE=${PGPHASE_DEMO_BASELINE:-10}
SIDE_BY_SIDE=${PGPHASE_DEMO_SIDE_BY_SIDE:-5} # seconds both app versions run before contract
cd "$ROOT"

trap 'echo "demo.sh: FAILED (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

section() { printf '\n=== %s ===\n' "$*"; }

# Prints a command as one would type it (with its real arguments), then runs it.
show() {
  local arg out=
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./:@=,+%-]+$ ]]; then
      out+=" $arg"
    elif [[ $arg != *"'"* ]]; then
      out+=" '$arg'"
    elif [[ ! $arg =~ [\"\$\`\\!] ]]; then
      out+=" \"$arg\""
    else
      out+=" '${arg//\'/\'\\\'\'}'"
    fi
  done
  printf '\n$%s\n' "$out"
  "$@"
}

# --- outer part: deps, build, then the inner part against a throwaway server ---------------
outer() {
  [[ $ROWS =~ ^[0-9]+$ && $ROWS -ge 1000 ]] || die "PGPHASE_DEMO_ROWS must be an integer >= 1000"
  [[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 ]] || die "PGPHASE_DEMO_RATE must be a positive integer"
  [[ $BASELINE =~ ^[0-9]+$ && $BASELINE -ge 1 ]] || die "PGPHASE_DEMO_BASELINE must be >= 1"
  [[ $PORT =~ ^[0-9]+$ && $PORT -le 65535 ]] || die "PGPHASE_DEMO_PORT must be a port number"
  local jobs=${PGPHASE_JOBS:-2}
  section "installing dependencies (scripts/deps.sh)"
  bash scripts/deps.sh
  if [[ -n ${PGPHASE_BIN:-} && -n ${TRAFFIC_BIN:-} ]]; then
    section "using $BIN and $TRAFFIC (PGPHASE_BIN, TRAFFIC_BIN): not building"
  else
    section "building"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build build -j "$jobs" --target pgphase pgphase-traffic
  fi
  [[ -x $BIN ]] || die "the build did not produce $BIN"
  [[ -x $TRAFFIC ]] || die "the build did not produce $TRAFFIC"
  [[ -f $PLAN ]] || die "$PLAN is missing"
  out_dir PGPHASE_DEMO_OUT pgphase-demo
  section "starting a throwaway PostgreSQL (scripts/with-postgres.sh)"
  inner_on_new_server
}

# --- inner part: runs with PGPHASE_TEST_DSN set by with-postgres.sh --------------------------
OUT=
old_pid=
new_pid=
serve_pid=

psql_cmd() { show "$PSQL" -v ON_ERROR_STOP=1 -X -q -d "$DSN" "$@"; }

# Elapsed seconds per step of the demo, for the report.
step_names=()
step_secs=()
record() { step_names+=("$1"); step_secs+=("$(elapsed "$2" "$(now)")"); }

check() {
  local what=$1 got=$2 want=$3
  [[ $got == "$want" ]] || die "check failed: $what: got '$got', expected '$want'"
  echo "ok: $what ($got)"
}

# The app's statements, taken in turn; each takes $1, a random id. The old app knows only the
# base tables and their old columns; the new app only the version schema's views
# (email_address, currency). Each write says who made it, for the checks after backfill.
# shellcheck disable=SC2016  # $1 is the statement's parameter, not a shell variable
OLD_APP_QUERIES=(
  'SELECT id, email, name FROM users WHERE id = $1::bigint'
  'SELECT id, user_id, legacy_currency FROM orders WHERE id = $1::bigint'
  "UPDATE users SET email = 'user' || \$1::bigint || '@example.org' WHERE id = \$1::bigint"
  "UPDATE orders SET legacy_currency = (ARRAY['usd', 'eur', 'gbp'])[1 + \$1::bigint % 3], written_by = 'old app' WHERE id = \$1::bigint"
  "INSERT INTO users (email, name) VALUES ('old' || \$1::bigint || '@example.com', 'old app')"
  "INSERT INTO orders (user_id, legacy_currency, written_by) VALUES (\$1::bigint, 'usd', 'old app')"
)
# shellcheck disable=SC2016
NEW_APP_QUERIES=(
  'SELECT id, email_address, name FROM users WHERE id = $1::bigint'
  'SELECT id, user_id, currency FROM orders WHERE id = $1::bigint'
  "UPDATE users SET email_address = 'user' || \$1::bigint || '@example.net' WHERE id = \$1::bigint"
  "UPDATE orders SET currency = 'CHF', written_by = 'new app' WHERE id = \$1::bigint"
  "INSERT INTO users (email_address, name) VALUES ('new' || \$1::bigint || '@example.com', 'new app')"
  "INSERT INTO orders (user_id, currency, written_by) VALUES (\$1::bigint, 'EUR', 'new app')"
)

# start_app NAME SEARCH_PATH QUERY...: pgphase-traffic run in the background; sets app_pid.
start_app() {
  local name=$1 search_path=$2
  shift 2
  start_traffic "$TRAFFIC" "$name" "$search_path" "$OUT/$name" -- "$@"
  echo "started the $name client (pid $app_pid): $RATE queries/s on 2 connections, search_path $search_path"
}

# stop_app PID NAME: stop_traffic; a failed client sets app_failed, and the demo fails after
# its report.
stop_app() { stop_traffic "$1" "$OUT/$2" "$2"; }

# The status page: `pgphase serve` in the background (stopped on exit), on PORT or,
# if that is taken, on any free port. Only to watch: if it does not start, the demo warns and
# goes on.
start_serve() {
  local listen url='' listens=("127.0.0.1:$PORT")
  [[ $PORT == 0 ]] || listens+=(127.0.0.1:0)
  section "the status page: pgphase serve, in the background until the demo ends"
  for listen in "${listens[@]}"; do
    printf '\n$ %s serve --listen %s --dsn %s &\n' "$BIN" "$listen" "$DSN"
    "$BIN" serve --listen "$listen" --dsn "$DSN" >"$OUT/serve.out" 2>"$OUT/serve.err" &
    serve_pid=$!
    for _ in $(seq 1 100); do
      url=$(grep -o 'http://[^ ]*/' "$OUT/serve.out" 2>/dev/null | head -n 1 || true)
      [[ -n $url ]] && break
      kill -0 "$serve_pid" 2>/dev/null || break
      sleep 0.1
    done
    [[ -n $url ]] && break
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
    serve_pid=
    if grep -q 'in use' "$OUT/serve.err" && [[ $listen != 127.0.0.1:0 ]]; then
      echo "port $PORT is taken: trying any free port"
      continue
    fi
    echo "demo.sh: warning: pgphase serve did not start (the demo goes on without it):" >&2
    head -n 20 "$OUT/serve.err" >&2
    return 0
  done
  cat "$OUT/serve.out"
  echo "open $url in a browser now to watch the migration live"
  echo "(Prometheus metrics: ${url}metrics); both answer until the demo ends"
}

# pgphase_step LABEL ARGS...: shows and runs build/pgphase ARGS (logs also to $OUT/pgphase.log),
# timed; stops the demo on failure.
pgphase_step() {
  local label=$1 t0 rc=0
  shift
  section "$label"
  t0=$(now)
  show "$BIN" "$@" 2>&1 | tee -a "$OUT/pgphase.log" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "demo.sh: '$BIN $*' failed with exit code $rc (log: $OUT/pgphase.log)" >&2
    exit "$rc"
  fi
  record "$label" "$t0"
}

# "STEP MS" for each step that took ACCESS EXCLUSIVE, from step.started (lock=...) and the
# following step.done (elapsed_ms=...) lines of pgphase's log.
exclusive_steps() {
  awk '
    /step\.started/ { exclusive = ($0 ~ /ACCESS EXCLUSIVE/); summary = $0
                      sub(/.*summary=/, "", summary) }
    /step\.done/ && exclusive { ms = $0; sub(/.*elapsed_ms=/, "", ms); sub(/[^0-9].*/, "", ms)
                                print ms, summary; exclusive = 0 }' "$OUT/pgphase.log"
}

# Samples pg_locks every 10 ms for ACCESS EXCLUSIVE locks granted on users or orders; prints one line
# per sample that saw one: "EPOCH_S PID". A cross-check on the step durations.
start_lock_sampler() {
  start_sampler "$OUT/locks.log" 0.01 "SELECT extract(epoch FROM clock_timestamp()), l.pid
      FROM pg_locks l
      WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
        AND l.relation IN ('public.users'::regclass, 'public.orders'::regclass);"
}

# "K samples, longest run X ms": how many samples saw an ACCESS EXCLUSIVE lock, and the longest
# run of consecutive samples (gaps < 50 ms) of one backend holding one, first to last sample.
sampled_locks() {
  awk -F'|' '
    NF == 2 { if ($2 == pid && $1 - last < 0.05) { held = $1 - first } else { first = $1; held = 0 }
              pid = $2; last = $1; if (held > max) max = held; seen++ }
    END { printf "%d samples, longest run %.0f ms\n", seen, max * 1000 }' "$OUT/locks.log"
}

inner() {
  DSN=${PGPHASE_TEST_DSN:?the inner part runs under scripts/with-postgres.sh}
  OUT=${PGPHASE_DEMO_OUT:?}
  mkdir -p "$OUT" # the outer part made it, unless the inner part is run directly
  find_psql
  # What this script started, by pid; with-postgres.sh then stops the server.
  trap 'stop_pids old_pid new_pid serve_pid sampler_pid' EXIT
  trap 'echo "demo.sh: interrupted" >&2; exit 130' INT
  trap 'echo "demo.sh: terminated" >&2; exit 143' TERM HUP
  : >"$OUT/pgphase.log"
  local t_all t0
  t_all=$(now)
  echo "logs in $OUT"

  section "creating public.users and public.orders with $ROWS rows each"
  t0=$(now)
  # shellcheck disable=SC2119  # the SQL on stdin
  sql <<SQL
CREATE TABLE public.users (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO public.users (email, name)
  SELECT 'user' || i || '@example.com', 'User ' || i FROM generate_series(1, $ROWS) AS i;
CREATE TABLE public.orders (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL,
  legacy_currency varchar(3),
  written_by text NOT NULL DEFAULT 'seed',
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO public.orders (user_id, legacy_currency)
  SELECT i, (ARRAY['usd', 'eur', 'gbp'])[1 + i % 3] FROM generate_series(1, $ROWS) AS i;
VACUUM ANALYZE public.users, public.orders;
CHECKPOINT;
SQL
  record "seed 2 x $ROWS rows" "$t0"
  psql_cmd -c '\d users' -c '\d orders'
  check "rows in users" "$(sql_value 'SELECT count(*) FROM public.users')" "$ROWS"
  check "rows in orders" "$(sql_value 'SELECT count(*) FROM public.orders')" "$ROWS"

  section "the old app starts: it reads and writes users.email and orders.legacy_currency"
  start_app old-app public "${OLD_APP_QUERIES[@]}"
  old_pid=$app_pid
  printf '  %s\n' "${OLD_APP_QUERIES[@]}"
  local t_before t_start
  t_before=$(now)
  echo "measuring the baseline for ${BASELINE}s ..."
  sleep "$BASELINE"

  # What a copy would change and a catalog-only rename keeps: the OIDs of users' indexes (but
  # the one the plan builds) and the place (attnum) of the renamed column.
  local layout_query layout_before
  layout_query="SELECT (SELECT string_agg(indexrelid::text, ',' ORDER BY indexrelid) FROM pg_index
                          WHERE indrelid = 'public.users'::regclass
                            AND indexrelid <> coalesce(to_regclass('public.users_name_idx')::oid, 0))
                       || ' attnum=' || (SELECT attnum FROM pg_attribute
                          WHERE attrelid = 'public.users'::regclass AND NOT attisdropped
                            AND attname IN ('email', 'email_address'))"
  layout_before=$(sql_value "$layout_query")

  pgphase_step "plan" plan "$PLAN" --dsn "$DSN"
  start_serve
  start_lock_sampler
  t_start=$(now)
  pgphase_step "start (expand)" start "$PLAN" --dsn "$DSN"

  pgphase_step "backfill" backfill "$PLAN" --dsn "$DSN"
  local backfill_secs rows_backfilled
  backfill_secs=${step_secs[-1]}
  rows_backfilled=$(grep 'command.done' "$OUT/pgphase.log" | grep 'command=backfill' |
    grep -o 'rows_backfilled=[0-9]*' | tail -n 1 | cut -d= -f2)

  # The version schema appears once every row is in its new shape (the end of the backfill):
  # the new app version is deployed now, and both versions run side by side until contract.
  local version_schema
  version_schema=$("$BIN" status --json --dsn "$DSN" |
    grep -o '"version_schema": *"[^"]*"' | head -n 1 | sed 's/.*: *"//; s/"$//')
  [[ -n $version_schema ]] || die "pgphase status --json gave no version_schema"
  grep -q '"version_schema_ready": *true' < <("$BIN" status --json --dsn "$DSN") ||
    die "the version schema $version_schema is not ready after the backfill"
  section "the new app starts: search_path $version_schema (views with email_address, currency)"
  start_app new-app "$version_schema" "${NEW_APP_QUERIES[@]}"
  new_pid=$app_pid
  printf '  %s\n' "${NEW_APP_QUERIES[@]}"
  echo "both app versions run side by side for ${SIDE_BY_SIDE}s ..."
  sleep "$SIDE_BY_SIDE"

  section "data right after backfill, with both apps still writing"
  # The rename is catalog-only: the base table still has only email, which the new app reads
  # and writes as email_address through its view.
  check "shadow columns added to users by the rename" \
    "$(sql_value "SELECT count(*) FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name = 'users'
                      AND column_name = 'email_address'")" 0
  check "users rows the new app's view shows without email_address" \
    "$(sql_value "SELECT count(*) FROM \"$version_schema\".users WHERE email_address IS NULL")" 0
  # written_by names the last writer only: a currency the new app set ('CHF') stays when an
  # old-app write then leaves legacy_currency as it was (the old app writes the same value for
  # an id each time), since the trigger follows a changed input, never an unchanged one.
  check "orders whose currency neither follows upper(legacy_currency) nor was set by the new app" \
    "$(sql_value "SELECT count(*) FROM public.orders WHERE written_by <> 'new app'
                    AND currency IS DISTINCT FROM upper(legacy_currency) AND currency <> 'CHF'")" 0
  check "orders with a NULL currency" \
    "$(sql_value 'SELECT count(*) FROM public.orders WHERE currency IS NULL')" 0
  pgphase_step "status" status --dsn "$DSN"

  section "every instance runs the new version now: the old app is stopped before complete"
  stop_app "$old_pid" old-app
  old_pid=
  pgphase_step "complete (contract)" complete "$PLAN" --dsn "$DSN"
  local t_done
  t_done=$(now)
  echo "the new app keeps running for 2s after complete ..."
  sleep 2
  stop_app "$new_pid" new-app
  new_pid=
  stop_sampler

  section "after complete"
  psql_cmd -c '\d users' -c '\d orders'
  local total old_col
  total=$(sql_value 'SELECT count(*) FROM public.users')
  old_col=$(sql_value "SELECT count(*) FROM information_schema.columns
                         WHERE table_schema = 'public' AND table_name = 'users'
                           AND column_name = 'email'")
  check "old column users.email is gone" "$old_col" 0
  check "users without email_address" \
    "$(sql_value 'SELECT count(*) FROM public.users WHERE email_address IS NULL')" 0
  check "orders.currency is NOT NULL" \
    "$(sql_value "SELECT attnotnull FROM pg_attribute
                    WHERE attrelid = 'public.orders'::regclass AND attname = 'currency'")" t
  local layout_after
  layout_after=$(sql_value "$layout_query")
  check "index OIDs and email_address's attnum kept by the rename (${layout_before})" \
    "$layout_after" "$layout_before"
  check "index users_name_idx is valid" \
    "$(sql_value "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.users_name_idx'::regclass")" t
  local inserted orders_total orders_inserted
  inserted=$(sql_value "SELECT count(*) FROM public.users WHERE name IN ('old app', 'new app')")
  check "users = seeded + inserted by the apps" "$total" $((ROWS + inserted))
  orders_total=$(sql_value 'SELECT count(*) FROM public.orders')
  orders_inserted=$(sql_value "SELECT count(*) FROM public.orders WHERE id > $ROWS")
  check "orders = seeded + inserted by the apps" "$orders_total" $((ROWS + orders_inserted))
  # Nothing left behind: no INVALID index, no pgphase trigger, function or shadow column, no
  # migration stopped half way (exit 1, and so the demo, if there is).
  pgphase_step "doctor: what the migration left behind" doctor --dsn "$DSN"

  # --- the report ---------------------------------------------------------------------------
  local before during all longest steps_total
  before=$("$TRAFFIC" report "$OUT/old-app.log" --from "$t_before" --to "$t_start")
  during=$("$TRAFFIC" report "$OUT/old-app.log" "$OUT/new-app.log" --from "$t_start" --to "$t_done")
  all=$("$TRAFFIC" report "$OUT/old-app.log" "$OUT/new-app.log")
  steps_total=$(grep 'command.done' "$OUT/pgphase.log" | grep -o 'steps_run=[0-9]*' |
    cut -d= -f2 | awk '{ n += $1 } END { print n + 0 }')
  longest=$(exclusive_steps | sort -n | tail -n 1)
  {
    section "report"
    echo "plan: $PLAN, $ROWS rows per table: rename users.email -> email_address, index users(name),"
    echo "      add orders.currency NOT NULL (up: upper(legacy_currency))"
    local i
    for i in "${!step_names[@]}"; do
      printf '  %-22s %7ss\n' "${step_names[$i]}" "${step_secs[$i]}"
    done
    printf '  %-22s %7ss\n' "demo total" "$(elapsed "$t_all" "$(now)")"
    echo "pgphase steps run: $steps_total (start, backfill, complete)"
    echo "rename users.email -> email_address: catalog-only at contract (no row copied, no index"
    echo "      rebuilt, same attnum); the new app wrote email_address through its view"
    awk -v n="$rows_backfilled" -v s="$backfill_secs" \
      'BEGIN { printf "rows backfilled: %d in %.1f s (%.0f rows/s, sweeps and VALIDATE included)\n", n, s, n / s }'
    echo "ACCESS EXCLUSIVE steps (step wall time, an upper bound on the lock held):"
    exclusive_steps | sort -rn |
      awk '{ ms = $1 == 0 ? "<1" : $1; $1 = ""; printf "  %6s ms %s\n", ms, $0 }'
    longest=${longest%% *}
    echo "longest ACCESS EXCLUSIVE lock: $([[ $longest == 0 ]] && echo '<1' || echo "$longest") ms (step wall time)"
    echo "pg_locks, sampled every ~10 ms from start to complete, showed one in $(sampled_locks)"
    echo "old app stopped before complete (a real rollout stops it once every instance runs the new version)"
    printf '%-44s %8s %7s %7s %7s %8s\n' "app queries" queries errors "p50 ms" "p99 ms" "max ms"
    row() { printf '  %-42s %8d %7d %7s %7s %8s\n' "$@"; }
    # shellcheck disable=SC2086
    row "before: old app, ${BASELINE}s before start" $before
    # shellcheck disable=SC2086
    row "during: old + new app, start..complete" $during
    # shellcheck disable=SC2086
    row "whole run: both apps" $all
    echo "  $(tail -n 1 "$OUT/old-app.out")"
    echo "  $(tail -n 1 "$OUT/new-app.out")"
  } | tee "$OUT/report.txt"
  # shellcheck disable=SC2086
  set -- $all
  [[ $2 == 0 ]] || die "the apps had $2 failed queries (see $OUT/old-app.out and new-app.out)"
  [[ -z $app_failed ]] || die "app client(s) failed:$app_failed"
  echo "demo OK"
}

outer_or_inner "$@"
