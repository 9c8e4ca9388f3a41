-- Where a backfill's time goes (issue 15): the same fill of a new column on identical copies of
-- one table, each adding one thing pgphase's backfill has and a plain UPDATE has not, side by
-- side in one run, twice over (the second round is the one to read: the first warms caches):
--   raw            one UPDATE t SET email_address = email, nothing else on the table
--   check          + the NOT VALID CHECK (email_address IS NOT NULL) that expand adds
--   trigger_skip   + the sync trigger, skipped in its WHEN clause as the backfill's batches
--                    skip it (SET LOCAL pgphase.backfill to the trigger's tag)
--   trigger_fires  + the sync trigger entered for every row (a plain UPDATE by hand)
--   batched        raw in keyset batches of 20,000 rows, a COMMIT after each (as pgphase)
--   batched_async  batched with synchronous_commit = off
--   pgphase_like   batched_async + the check + the sync trigger, skipped: what pgphase's sweep
--                    does with one worker, without its own per-batch work
--   pages_like     pgphase_like walking ctid page ranges of as many rows instead of keys (what
--                    pgphase does for a table without a primary key)
-- and, to weigh a design pgphase does not have, a sync trigger that runs AFTER the row is
-- written (it would UPDATE the row again for the old app's writes), skipped the same way:
--   after_skip     + the check + that AFTER trigger, one UPDATE
--   after_like     pgphase_like with the AFTER trigger in place of the BEFORE one
-- and a third: copying the rows into a new table of the new shape (as pg-osc and gh-ost do),
-- in keyset batches with synchronous_commit = off; the old table's triggers, the swap and any
-- index but the primary key are left out, so it is a floor for that design:
--   shadow_copy    INSERT INTO parts_new SELECT …, email FROM parts_t, batch by batch
-- Each prints milliseconds, its speed as a share of raw's (1.00 = as fast as raw), and the WAL
-- it wrote per row.
-- Run (PGPHASE_PG_DURABLE=1: with fsync, synchronous_commit and full_page_writes on):
--   PGPHASE_PG_DURABLE=1 PGPHASE_TEST_DSN= scripts/with-postgres.sh \
--     bash -c 'psql -X -q "$PGPHASE_TEST_DSN" -v rows=1000000 -f scripts/bench-backfill-parts.sql'
\if :{?rows}
\else
\set rows 1000000
\endif
SET client_min_messages = warning;
DROP TABLE IF EXISTS parts_seed;
CREATE TABLE parts_seed (id bigint PRIMARY KEY, email text NOT NULL, name text,
                         created_at timestamptz DEFAULT now(), payload text);
INSERT INTO parts_seed (id, email, name, payload)
    SELECT i, 'user' || i || '@example.com', 'User ' || i, rpad(md5(i::text), 100, md5((-i)::text))
    FROM generate_series(1, :rows) AS i;
CREATE TABLE parts_timings (round int, variant text, ms float8, wal_per_row float8);

CREATE FUNCTION parts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.email IS DISTINCT FROM OLD.email THEN
        NEW.email_address := NEW.email;
    END IF;
    RETURN NEW;
END
$$;

-- The AFTER form: the row is already written, so it is written again, by key.
CREATE FUNCTION parts_sync_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email_address IS DISTINCT FROM NEW.email THEN
        UPDATE parts_t SET email_address = NEW.email WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

-- A fresh copy of the seed with the new column (as expand leaves it), vacuumed, checkpointed.
CREATE PROCEDURE parts_copy(variant text) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'DROP TABLE IF EXISTS parts_t';
    EXECUTE 'CREATE TABLE parts_t AS SELECT * FROM parts_seed';
    EXECUTE 'ALTER TABLE parts_t ADD PRIMARY KEY (id), ADD COLUMN email_address text';
    IF variant IN ('check', 'trigger_skip', 'trigger_fires', 'pgphase_like', 'pages_like',
                   'after_skip', 'after_like') THEN
        EXECUTE 'ALTER TABLE parts_t ADD CONSTRAINT parts_t_not_null CHECK (email_address IS NOT NULL) NOT VALID';
    END IF;
    IF variant IN ('trigger_skip', 'trigger_fires', 'pgphase_like', 'pages_like') THEN
        EXECUTE 'CREATE TRIGGER parts_sync BEFORE INSERT OR UPDATE ON parts_t FOR EACH ROW '
                'WHEN (pg_catalog.current_setting(''pgphase.backfill'', true) IS DISTINCT FROM ''parts/1'') '
                'EXECUTE FUNCTION parts_sync()';
    END IF;
    IF variant = 'shadow_copy' THEN
        EXECUTE 'DROP TABLE IF EXISTS parts_new';
        EXECUTE 'CREATE TABLE parts_new (LIKE parts_t)';
        EXECUTE 'ALTER TABLE parts_new ADD PRIMARY KEY (id)';
    END IF;
    IF variant IN ('after_skip', 'after_like') THEN
        EXECUTE 'CREATE TRIGGER parts_sync AFTER INSERT OR UPDATE ON parts_t FOR EACH ROW '
                'WHEN (pg_catalog.current_setting(''pgphase.backfill'', true) IS DISTINCT FROM ''parts/1'') '
                'EXECUTE FUNCTION parts_sync_after()';
    END IF;
END
$$;

-- Keyset batches of 20,000 rows, a COMMIT after each: each fills its rows in place, or, with
-- into_new, copies them into parts_new (shadow_copy).
CREATE PROCEDURE parts_batched(async boolean, into_new boolean DEFAULT false)
LANGUAGE plpgsql AS $$
DECLARE
    last bigint := 0;
    upper bigint;
BEGIN
    LOOP
        IF async THEN
            SET LOCAL synchronous_commit = off;
            SET LOCAL pgphase.backfill = 'parts/1'; -- skips a sync trigger, if there is one
        END IF;
        SELECT max(id) INTO upper
            FROM (SELECT id FROM parts_t WHERE id > last ORDER BY id LIMIT 20000) b;
        EXIT WHEN upper IS NULL;
        IF into_new THEN
            INSERT INTO parts_new
                SELECT id, email, name, created_at, payload, email FROM parts_t
                WHERE id > last AND id <= upper;
        ELSE
            UPDATE parts_t SET email_address = email WHERE id > last AND id <= upper;
        END IF;
        last := upper;
        COMMIT;
    END LOOP;
END
$$;

-- The same batches by ctid page ranges: 20,000 rows' worth of pages each.
CREATE PROCEDURE parts_paged() LANGUAGE plpgsql AS $$
DECLARE
    page bigint := 0;
    pages bigint := pg_relation_size('parts_t') / current_setting('block_size')::bigint;
    per bigint;
BEGIN
    SELECT greatest(1, round(20000 / (count(*)::numeric / pages))) INTO per FROM parts_t;
    WHILE page < pages LOOP
        SET LOCAL synchronous_commit = off;
        SET LOCAL pgphase.backfill = 'parts/1';
        UPDATE parts_t SET email_address = email
            WHERE ctid >= ('(' || page || ',0)')::tid AND ctid < ('(' || page + per || ',0)')::tid;
        page := page + per;
        COMMIT;
    END LOOP;
END
$$;

-- One variant, timed: a fresh copy, a checkpoint, then the fill, with its WAL.
CREATE PROCEDURE parts_measure(round int, variant text) LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
    wal pg_lsn;
BEGIN
    CALL parts_copy(variant);
    COMMIT;
    CHECKPOINT;
    started := clock_timestamp();
    wal := pg_current_wal_lsn();
    IF variant = 'pages_like' THEN
        CALL parts_paged();
    ELSIF variant = 'shadow_copy' THEN
        CALL parts_batched(true, into_new => true);
    ELSIF variant IN ('batched', 'batched_async', 'pgphase_like', 'after_like') THEN
        CALL parts_batched(variant <> 'batched');
    ELSE
        IF variant IN ('trigger_skip', 'after_skip') THEN
            SET LOCAL pgphase.backfill = 'parts/1';
        END IF;
        UPDATE parts_t SET email_address = email;
        COMMIT;
    END IF;
    INSERT INTO parts_timings VALUES (round, variant,
        extract(epoch FROM clock_timestamp() - started) * 1000,
        pg_wal_lsn_diff(pg_current_wal_lsn(), wal) / (SELECT count(*) FROM parts_seed));
    COMMIT;
END
$$;

DO $$
BEGIN
    FOR round IN 1..2 LOOP
        CALL parts_measure(round, 'raw');
        CALL parts_measure(round, 'check');
        CALL parts_measure(round, 'trigger_skip');
        CALL parts_measure(round, 'trigger_fires');
        CALL parts_measure(round, 'batched');
        CALL parts_measure(round, 'batched_async');
        CALL parts_measure(round, 'pgphase_like');
        CALL parts_measure(round, 'pages_like');
        CALL parts_measure(round, 'shadow_copy');
        CALL parts_measure(round, 'after_skip');
        CALL parts_measure(round, 'after_like');
    END LOOP;
END
$$;

SELECT round, variant, round(ms::numeric) AS ms,
       round(((SELECT t.ms FROM parts_timings t WHERE t.round = p.round AND t.variant = 'raw')
             / ms)::numeric, 2) AS speed_vs_raw,
       round(wal_per_row::numeric) AS wal_bytes_per_row
FROM parts_timings p ORDER BY round, ms;

DROP TABLE IF EXISTS parts_new;
DROP TABLE parts_t, parts_seed, parts_timings;
DROP PROCEDURE parts_copy(text), parts_batched(boolean, boolean), parts_paged(),
    parts_measure(int, text);
DROP FUNCTION parts_sync(), parts_sync_after();
