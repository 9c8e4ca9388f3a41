#!/usr/bin/env bash
# The server crashes under a running backfill (backfill_server_crash_test.cpp runs this on a
# throwaway server of its own, with fsync and synchronous_commit on: PGPHASE_PG_DURABLE=1).
# The backfill's batches commit without waiting for their WAL (synchronous_commit off), so an
# immediate shutdown can lose the last of them, checkpoints and rows together. After a restart
# the backfill must finish with every row written exactly once: no gap where a lost batch was,
# no row written twice.
# Usage: backfill_server_crash.sh PGPHASE_BINARY (under scripts/with-postgres.sh)
set -euo pipefail
PGPHASE=$1
DSN=${PGPHASE_TEST_DSN:?run under scripts/with-postgres.sh}
PSQL=psql
command -v psql >/dev/null 2>&1 || PSQL=${PGPHASE_TEST_PGBIN:?}/psql
sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$DSN" -c "$1"; }
as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
pg_ctl_bin=pg_ctl
[[ -n ${PGPHASE_TEST_PGBIN:-} && -x $PGPHASE_TEST_PGBIN/pg_ctl ]] && pg_ctl_bin=$PGPHASE_TEST_PGBIN/pg_ctl

dir=$(mktemp -d)
data=$(sql "SHOW data_directory")
port=$(sql "SHOW port")
backfill_pid=
restarted=
cleanup() {
  [[ -z $backfill_pid ]] || kill -KILL "$backfill_pid" 2>/dev/null || true
  # with-postgres.sh stops the server it started; the one started here is stopped here.
  [[ -z $restarted ]] || as_server_user "$pg_ctl_bin" stop -D "$data" -m fast -w >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

echo "fsync=$(sql "SHOW fsync") synchronous_commit=$(sql "SHOW synchronous_commit")"
sql "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, touched integer NOT NULL DEFAULT 0)"
sql "INSERT INTO users (id, email) SELECT i, 'user' || i || '@example.com' FROM generate_series(1, 100000) i"
# Counts the backfill's writes of each row (its transactions set pgphase.backfill).
sql "CREATE FUNCTION count_touch() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF coalesce(current_setting('pgphase.backfill', true), '') <> '' THEN NEW.touched := OLD.touched + 1; END IF; RETURN NEW; END \$\$"
sql "CREATE TRIGGER a_count_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION count_touch()"
cat >"$dir/plan.yaml" <<'YAML'
name: crash_rename
settings:
  backfill: {batch_size: 500, max_batch_size: 500, max_rows_per_second: 20000}
changes:
  - rename_column: {table: users, from: email, to: email_address, method: copy}
YAML
"$PGPHASE" --dsn "$DSN" start "$dir/plan.yaml" >"$dir/start.log" 2>&1

"$PGPHASE" --dsn "$DSN" backfill "$dir/plan.yaml" >"$dir/backfill1.log" 2>&1 &
backfill_pid=$!
for _ in $(seq 1 300); do
  done_rows=$(sql "SELECT coalesce(sum(rows_done), 0) FROM pgphase.backfill_checkpoints")
  [[ $done_rows -lt 30000 ]] || break
  sleep 0.1
done
[[ $done_rows -ge 30000 ]] || { echo "the backfill did not get going"; cat "$dir/backfill1.log"; exit 1; }

# The crash: an immediate shutdown, as after a power cut (no checkpoint, WAL buffers dropped).
postmaster=$(head -n 1 "$data/postmaster.pid")
kill -QUIT "$postmaster"
for _ in $(seq 1 100); do
  kill -0 "$postmaster" 2>/dev/null || break
  sleep 0.1
done
echo "server crashed at about $done_rows rows"
as_server_user "$pg_ctl_bin" start -D "$data" -w -o "-p $port" -l "$data/restart.log" >/dev/null ||
  { echo "the restart failed:"; cat "$data/restart.log"; exit 1; }
restarted=1
after=$(sql "SELECT coalesce(sum(rows_done), 0) FROM pgphase.backfill_checkpoints")
echo "checkpoint after the restart: $after rows (the crash took back $((done_rows - after > 0 ? done_rows - after : 0)))"

# The backfill that saw the crash reconnects and goes on, or gives up; either way a rerun ends it.
first=0
wait "$backfill_pid" || first=$?
echo "the first backfill ended with exit $first after the crash"
[[ $first -eq 0 ]] || grep -v status_not_saved "$dir/backfill1.log" | tail -n 5
backfill_pid=
"$PGPHASE" --dsn "$DSN" backfill "$dir/plan.yaml" >"$dir/backfill2.log" 2>&1 ||
  { echo "the backfill after the restart failed:"; cat "$dir/backfill2.log"; exit 1; }
grep -h 'backfill.reconnected' "$dir/backfill1.log" | sed 's/^[0-9:.]* //' || true

echo "rows: $(sql "SELECT count(*) FROM users")"
echo "unfilled: $(sql "SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email")"
echo "written other than once: $(sql "SELECT count(*) FROM users WHERE touched <> 1")"
