#!/usr/bin/env bash
# Memory and time of `pgphase lint`, `convert` and `plan` on one big migration (issue 17). Not a
# test: scripts/test.sh does not run it. Needs no database; about a minute with the defaults.
#
# Writes a Prisma-style migration of BLOCKS blocks (each: CREATE TABLE, CREATE UNIQUE INDEX,
# ALTER TABLE ... ADD COLUMN, SET NOT NULL on a table the file did not create, CREATE INDEX on
# it, ADD FOREIGN KEY; about 650 bytes, 5 statements), then runs, each under /usr/bin/time:
#   lint --prisma --no-replay          lint --prisma --no-replay --format json
#   convert (to a plan file)           plan of that converted plan
# and prints, per command: seconds, peak RSS in MB and peak RSS as a multiple of the input's
# size (of the .sql for lint and convert, of the converted YAML for plan). The target for lint
# and convert is under 10x; the script exits 1 when either is over it.
#
# Environment:
#   BLOCKS=8000       (about 5.2 MB of SQL)
#   PGPHASE_BIN       use this binary instead of building build/pgphase
#   BENCH_OUT=dir     the files and logs (default: a new /tmp/pgphase-lint-memory.*)
#
# Usage: scripts/bench-lint-memory.sh
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BLOCKS=${BLOCKS:-8000}
log() { echo "bench-lint-memory.sh: $*" >&2; }
die() {
  log "$*"
  exit 1
}

[[ $# -eq 0 ]] || {
  sed -n '2,20p' "$0"
  [[ $1 == -h || $1 == --help ]] && exit 0
  exit 2
}
[[ $BLOCKS =~ ^[0-9]+$ && $BLOCKS -ge 1 ]] || die "BLOCKS must be a positive integer"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package: time)"
if [[ -z ${PGPHASE_BIN:-} ]]; then
  bash scripts/deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j "${PGPHASE_JOBS:-2}" --target pgphase >/dev/null
  PGPHASE_BIN=$ROOT/build/pgphase
fi
OUT=${BENCH_OUT:-$(mktemp -d /tmp/pgphase-lint-memory.XXXXXX)}
mkdir -p "$OUT"
SQL=$OUT/migration.sql

awk -v blocks="$BLOCKS" 'BEGIN {
  for (i = 1; i <= blocks; i++) {
    printf "-- CreateTable\nCREATE TABLE \"Item%d\" (\n    \"id\" TEXT NOT NULL,\n", i
    printf "    \"sku\" TEXT NOT NULL,\n    \"legacyId\" INTEGER NOT NULL,\n"
    printf "    \"createdAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
    printf "    CONSTRAINT \"Item%d_pkey\" PRIMARY KEY (\"id\")\n);\n\n", i
    printf "-- CreateIndex\nCREATE UNIQUE INDEX \"Item%d_sku_key\" ON \"Item%d\"(\"sku\");\n\n", i, i
    printf "-- AlterTable\nALTER TABLE \"Legacy%d\" ADD COLUMN \"note\" TEXT,\n", i
    printf "ALTER COLUMN \"qty\" SET NOT NULL;\n\n"
    printf "-- CreateIndex\nCREATE INDEX \"Legacy%d_ref_idx\" ON \"Legacy%d\"(\"ref\");\n\n", i, i
    printf "-- AddForeignKey\nALTER TABLE \"Item%d\" ADD CONSTRAINT \"Item%d_legacyId_fkey\" ", i, i
    printf "FOREIGN KEY (\"legacyId\") REFERENCES \"Legacy%d\"(\"id\") ", i
    printf "ON DELETE RESTRICT ON UPDATE CASCADE;\n\n"
  }
}' >"$SQL"

size_of() { stat -c %s "$1"; }
sql_bytes=$(size_of "$SQL")
log "input: $SQL, $BLOCKS blocks, $sql_bytes bytes"

over=0
# measure LABEL INPUT_BYTES CHECK(yes|no) COMMAND...: runs COMMAND under /usr/bin/time and
# prints one row. pgphase's exit code is kept (lint exits 1 on findings, that is expected).
measure() {
  local label=$1 input=$2 check=$3
  shift 3
  local stats=$OUT/$label.time rc=0
  /usr/bin/time -f '%e %M' -o "$stats" "$@" >"$OUT/$label.out" 2>"$OUT/$label.err" || rc=$?
  local seconds kb
  # A command that exits non-zero gets a "Command exited ..." line first.
  read -r seconds kb < <(tail -n 1 "$stats")
  local mb ratio verdict=""
  mb=$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')
  ratio=$(awk -v kb="$kb" -v b="$input" 'BEGIN { printf "%.1f", kb * 1024 / b }')
  if [[ $check == yes ]]; then
    if awk -v r="$ratio" 'BEGIN { exit !(r < 10) }'; then verdict="ok (< 10x)"; else
      verdict="OVER 10x"
      over=1
    fi
  fi
  printf '| %-12s | %6s | %8s | %6sx | %4s | %s\n' "$label" "$seconds" "$mb" "$ratio" "$rc" "$verdict"
}

echo "| command      |      s |  peak MB |  input | exit |"
measure lint "$sql_bytes" yes "$PGPHASE_BIN" lint --prisma --no-replay "$SQL"
measure lint-json "$sql_bytes" yes "$PGPHASE_BIN" lint --prisma --no-replay --format json "$SQL"
measure convert "$sql_bytes" yes "$PGPHASE_BIN" convert "$SQL" -o "$OUT/plan.yaml"
if [[ -s $OUT/plan.yaml ]]; then
  measure plan "$(size_of "$OUT/plan.yaml")" no "$PGPHASE_BIN" plan "$OUT/plan.yaml"
else
  log "convert wrote no plan; see $OUT/convert.err"
fi
log "files and outputs in $OUT"
exit "$over"
