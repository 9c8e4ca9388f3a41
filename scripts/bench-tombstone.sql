-- What a kept column's marker costs app writes (docs/undo.md): UPDATEs of a table that has a
-- tombstone marker, against the same table without one, side by side in one run. The first
-- UPDATE of each old row fires the marker's trigger; later ones skip it in its WHEN clause.
-- Run: PGPHASE_TEST_DSN= scripts/with-postgres.sh bash -c 'psql -X -q "$PGPHASE_TEST_DSN" -f scripts/bench-tombstone.sql'
\set rows 300000
\set rounds 3
SET client_min_messages = warning;
SELECT set_config('bench.rounds', :'rounds', false) \gset
DROP TABLE IF EXISTS bench_plain, bench_marked;
CREATE TABLE bench_plain (id int PRIMARY KEY, v int NOT NULL, note text);
INSERT INTO bench_plain SELECT i, i, 'row ' || i FROM generate_series(1, :rows) i;
CREATE TABLE bench_marked (LIKE bench_plain INCLUDING ALL);
INSERT INTO bench_marked SELECT * FROM bench_plain;
-- What keep_column adds: a marker column (no rewrite), its default, the trigger.
ALTER TABLE bench_marked ADD COLUMN _pgphase_written_bench boolean;
ALTER TABLE bench_marked ALTER COLUMN _pgphase_written_bench SET DEFAULT true;
CREATE FUNCTION bench_mark() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN NEW._pgphase_written_bench := true; RETURN NEW; END$$;
CREATE TRIGGER _pgphase_written_bench BEFORE UPDATE ON bench_marked FOR EACH ROW
    WHEN (NEW._pgphase_written_bench IS NULL) EXECUTE FUNCTION bench_mark();
VACUUM ANALYZE bench_plain, bench_marked;

CREATE TEMP TABLE timings (round int, kind text, plain_ms float8, marked_ms float8);
DO $$
DECLARE
    started timestamptz;
    plain float8;
    marked float8;
BEGIN
    FOR round IN 1..current_setting('bench.rounds')::int LOOP
        -- The first round's UPDATE of bench_marked is every row's first write since "contract".
        started := clock_timestamp();
        UPDATE bench_plain SET v = v + 1;
        plain := extract(epoch FROM clock_timestamp() - started) * 1000;
        started := clock_timestamp();
        UPDATE bench_marked SET v = v + 1;
        marked := extract(epoch FROM clock_timestamp() - started) * 1000;
        INSERT INTO timings VALUES (round, CASE WHEN round = 1 THEN 'first write of each row'
                                                ELSE 'later writes' END, plain, marked);
    END LOOP;
END
$$;
SELECT round, kind, round(plain_ms) AS plain_ms, round(marked_ms) AS marked_ms,
       round((marked_ms / plain_ms)::numeric, 2) AS ratio
FROM timings ORDER BY round;
DROP TABLE bench_plain, bench_marked;
DROP FUNCTION bench_mark();
