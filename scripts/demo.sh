#!/usr/bin/env bash
# Demo for a newcomer on a fresh machine: installs what is needed, builds pgphase, starts a
# throwaway PostgreSQL with a 100,000-row users table, and renames users.email to
# email_address through every phase (plans/rename_column.yaml) while old and new clients work.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF=$ROOT/scripts/demo.sh
PLAN=plans/rename_column.yaml
BIN=build/pgphase
ROWS=100000
cd "$ROOT"
# Recorded by pgphase in its event log as who ran each command.
export PGPHASE_ACTOR=${PGPHASE_ACTOR:-demo.sh}

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
  local jobs=${PGPHASE_JOBS:-2}
  section "installing dependencies (scripts/deps.sh)"
  bash scripts/deps.sh
  section "building"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j "$jobs"
  [[ -x $BIN ]] || { echo "demo.sh: the build did not produce $BIN" >&2; exit 1; }
  [[ -f $PLAN ]] || { echo "demo.sh: $PLAN is missing" >&2; exit 1; }
  section "starting a throwaway PostgreSQL (scripts/with-postgres.sh)"
  # Always a fresh server, even if PGPHASE_TEST_DSN points at one: the demo creates tables.
  env -u PGPHASE_TEST_DSN bash scripts/with-postgres.sh "$SELF" --inner
}

# --- inner part: runs with PGPHASE_TEST_DSN set by with-postgres.sh --------------------------
DSN=
PSQL=psql
# psql as the demo shows it: stop at the first error, no ~/.psqlrc, no chatter.
psql_cmd() { show "$PSQL" -v ON_ERROR_STOP=1 -X -q -d "$DSN" "$@"; }
sql_value() { "$PSQL" -v ON_ERROR_STOP=1 -X -q -At -d "$DSN" -c "$1"; }

# Elapsed seconds per phase, for the summary.
phase_names=()
phase_secs=()
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
record() { phase_names+=("$1"); phase_secs+=("$(elapsed "$2" "$(now)")"); }

# pgphase_step LABEL ARGS...: shows and runs build/pgphase ARGS, timed; stops the demo on failure.
pgphase_step() {
  local label=$1 t0 rc=0
  shift
  section "$label"
  t0=$(now)
  show "$BIN" "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "demo.sh: '$BIN $*' failed with exit code $rc" >&2
    exit "$rc"
  fi
  record "$label" "$t0"
}

check() {
  local what=$1 got=$2 want=$3
  if [[ $got != "$want" ]]; then
    echo "demo.sh: check failed: $what: got '$got', expected '$want'" >&2
    exit 1
  fi
  echo "ok: $what ($got)"
}

inner() {
  DSN=${PGPHASE_TEST_DSN:?the inner part runs under scripts/with-postgres.sh}
  if ! command -v psql >/dev/null 2>&1; then
    PSQL=${PGPHASE_TEST_PGBIN:?}/psql
  fi
  local t_all t0
  t_all=$(now)

  section "creating public.users with $ROWS rows"
  t0=$(now)
  "$PSQL" -v ON_ERROR_STOP=1 -X -q -d "$DSN" <<SQL
CREATE TABLE public.users (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO public.users (email, name)
  SELECT 'user' || i || '@example.com', 'User ' || i FROM generate_series(1, $ROWS) AS i;
ANALYZE public.users;
SQL
  record "seed $ROWS rows" "$t0"
  psql_cmd -c '\d users'
  check "rows in users" "$(sql_value 'SELECT count(*) FROM public.users')" "$ROWS"

  pgphase_step "plan" plan "$PLAN" --dsn "$DSN"
  pgphase_step "start (expand)" start "$PLAN" --dsn "$DSN"

  section "during expand, old and new clients both work"
  echo "# an old client still writes email:"
  psql_cmd -c "INSERT INTO users (email, name) VALUES ('old-client@example.com', 'old client')"
  echo "# a new client already writes email_address:"
  psql_cmd -c "INSERT INTO users (email_address, name) VALUES ('new-client@example.com', 'new client')"
  psql_cmd -c "SELECT id, name, email, email_address, email = email_address AS same FROM users WHERE name IN ('old client', 'new client') ORDER BY id"
  check "rows from both clients with email = email_address" \
    "$(sql_value "SELECT count(*) FROM users WHERE name IN ('old client', 'new client')
                    AND email IS NOT NULL AND email = email_address")" 2

  pgphase_step "backfill" backfill "$PLAN" --dsn "$DSN"
  pgphase_step "status" status --dsn "$DSN"
  pgphase_step "complete (contract)" complete "$PLAN" --dsn "$DSN"

  section "after complete"
  psql_cmd -c '\d users'
  local total filled old_col
  total=$(sql_value 'SELECT count(*) FROM public.users')
  filled=$(sql_value 'SELECT count(email_address) FROM public.users')
  old_col=$(sql_value "SELECT count(*) FROM information_schema.columns
                         WHERE table_schema = 'public' AND table_name = 'users'
                           AND column_name = 'email'")
  check "rows in users" "$total" $((ROWS + 2))
  check "rows with a non-null email_address" "$filled" $((ROWS + 2))
  check "old column users.email is gone" "$old_col" 0

  section "summary"
  echo "users: $total rows, every one with email_address; users.email renamed without downtime"
  local i
  for i in "${!phase_names[@]}"; do
    printf '  %-22s %8ss\n' "${phase_names[$i]}" "${phase_secs[$i]}"
  done
  printf '  %-22s %8ss\n' "total" "$(elapsed "$t_all" "$(now)")"
  echo "demo OK"
}

if [[ ${1:-} == --inner ]]; then
  inner
else
  outer
fi
