#!/usr/bin/env bash
# How `advance --fleet` scales with `parallel` (issue 12). Not a test: scripts/test.sh does not
# run it; it takes about 3 minutes with the defaults.
#
# On TWO throwaway PostgreSQL servers (scripts/with-postgres.sh --servers 2), TARGETS databases
# (half on each server), each with a `users` table of ROWS rows. A small plan (add a column
# filled by a backfill from `up`) runs:
#   - with `advance --dsn` on SINGLES databases of their own, one after another: the time of
#     one target alone (the median), as a pipeline runs it today;
#   - with `advance --fleet` on all TARGETS, for each value of PARALLEL (a fresh column each
#     time), with the default waves (a canary, then the rest).
# Reported for each run: wall time; the ideal (canary + ceil((TARGETS-1)/parallel) rounds, each
# as long as one target alone) and wall / ideal; the mean time per target inside the run
# against one target alone; pgphase's peak RSS and CPU time (user + system, /usr/bin/time): the
# rest of the wall time is the servers' work and waiting on them.
#
# Environment:
#   TARGETS=100  ROWS=1000  PARALLEL="1 4 16"  SINGLES=5
#   PGPHASE_BIN   use this binary instead of building build/pgphase
#   BENCH_OUT=dir results and logs (default: a new /tmp/pgphase-fleet.*)
#
# Usage: scripts/bench-fleet.sh
set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

export TARGETS=${TARGETS:-100}
export ROWS=${ROWS:-1000}
export PARALLEL=${PARALLEL:-"1 4 16"}
export SINGLES=${SINGLES:-5}

outer() {
  no_arguments "$@"
  [[ $TARGETS =~ ^[0-9]+$ && $TARGETS -ge 2 && $TARGETS -le 180 ]] ||
    die "TARGETS must be an integer from 2 to 180 (90 databases per server)"
  [[ $ROWS =~ ^[0-9]+$ && $ROWS -ge 1 ]] || die "ROWS must be an integer >= 1"
  [[ $SINGLES =~ ^[0-9]+$ && $SINGLES -ge 1 ]] || die "SINGLES must be an integer >= 1"
  for p in $PARALLEL; do
    [[ $p =~ ^[0-9]+$ && $p -ge 1 && $p -le 20 ]] ||
      die "each PARALLEL value must be from 1 to 20 (4 connections a target, 100 a server)"
  done
  bash scripts/deps.sh
  build_binaries Release pgphase
  [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"
  exec bash scripts/with-postgres.sh --servers 2 bash "$SELF" --inner
}

# --- inner part: PGPHASE_TEST_DSN and PGPHASE_TEST_DSN_2 name the two servers -----------------

calc() { awk "BEGIN { print $1 }"; }

# A database on server 1 or 2, with its users table.
make_database() {
  local server=$1 name=$2 base
  base=$([[ $server -eq 1 ]] && echo "$PGPHASE_TEST_DSN" || echo "$PGPHASE_TEST_DSN_2")
  psql "$base" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null
  psql "${base%/postgres}/$name" -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO users SELECT i, 'user' || i || '@example.com' FROM generate_series(1, $ROWS) i;
ANALYZE users;
SQL
  echo "${base%/postgres}/$name"
}

# The plan adding column $1, filled by a backfill.
write_plan() {
  cat >"$OUT/plan_$1.yaml" <<YAML
name: bench_fleet_$1
changes:
  - add_column: {table: users, column: {name: $1, type: text}, up: lower(email)}
YAML
  echo "$OUT/plan_$1.yaml"
}

inner() {
  [[ -n ${PGPHASE_TEST_DSN:-} && -n ${PGPHASE_TEST_DSN_2:-} ]] ||
    die "--inner needs PGPHASE_TEST_DSN and PGPHASE_TEST_DSN_2 (scripts/with-postgres.sh --servers 2)"
  OUT=${BENCH_OUT:-$(mktemp -d /tmp/pgphase-fleet.XXXXXX)}
  mkdir -p "$OUT"
  log "results and logs in $OUT"

  log "creating $TARGETS + $SINGLES databases of $ROWS rows"
  local fleet=$OUT/fleet.yaml i server dsn
  echo "targets:" >"$fleet"
  for ((i = 1; i <= TARGETS; i++)); do
    server=$(((i - 1) % 2 + 1))
    dsn=$(make_database "$server" "fleet_$i")
    echo "  - {name: t$i, dsn: \"$dsn\"}" >>"$fleet"
  done
  local singles=()
  for ((i = 1; i <= SINGLES; i++)); do
    singles+=("$(make_database $(((i - 1) % 2 + 1)) "single_$i")")
  done

  # One target alone, as `advance --dsn` runs it: the median of SINGLES runs.
  local plan start times=() rss=0 r
  plan=$(write_plan c_single)
  for dsn in "${singles[@]}"; do
    start=$(now)
    /usr/bin/time -f %M -o "$OUT/single.rss" "$PGPHASE_BIN" advance "$plan" --dsn "$dsn" \
      >>"$OUT/single.out" 2>>"$OUT/single.log" || die "advance on one database failed: $OUT/single.log"
    times+=("$(calc "$(now) - $start")")
    r=$(cat "$OUT/single.rss")
    ((r > rss)) && rss=$r
  done
  local one
  one=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  {
    echo "# bench-fleet.sh: TARGETS=$TARGETS ROWS=$ROWS, two servers, $(nproc) cores"
    printf 'one target alone (advance --dsn, median of %d): %.2f s, peak RSS %d MB\n' \
      "$SINGLES" "$one" $((rss / 1024))
    printf '%-8s %8s %8s %11s %17s %6s %8s %12s\n' parallel wall_s ideal_s wall/ideal \
      "per_target_s(x1)" "exit" "rss_MB" "pgphase_cpu"
  } | tee "$OUT/results.txt"

  local p wall ideal per_target code
  for p in $PARALLEL; do
    sed -i '/^parallel:/d' "$fleet"
    echo "parallel: $p" >>"$fleet"
    plan=$(write_plan "c_p$p")
    start=$(now)
    set +e
    /usr/bin/time -f '%M %U %S' -o "$OUT/p$p.rss" "$PGPHASE_BIN" advance "$plan" --fleet "$fleet" \
      --format json >"$OUT/p$p.json" 2>"$OUT/p$p.log"
    code=$?
    set -e
    wall=$(calc "$(now) - $start")
    # The canary, then ceil((TARGETS-1)/p) rounds, each as long as one target alone.
    ideal=$(calc "(1 + $(((TARGETS - 1 + p - 1) / p))) * $one")
    per_target=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["targets"]; print(sum(x["duration_ms"] for x in t)/len(t)/1000)' "$OUT/p$p.json")
    local rss_kb user sys
    read -r rss_kb user sys <"$OUT/p$p.rss"
    printf '%-8s %8.2f %8.2f %11.2f %10.2f (%4.2fx) %6s %8d %11.1fs\n' "$p" "$wall" "$ideal" \
      "$(calc "$wall / $ideal")" "$per_target" "$(calc "$per_target / $one")" \
      "$code" $((rss_kb / 1024)) "$(calc "$user + $sys")" | tee -a "$OUT/results.txt"
  done
  log "done: $OUT/results.txt"
}

outer_or_inner "$@"
