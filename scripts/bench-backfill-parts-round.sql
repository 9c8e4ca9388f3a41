-- One round of scripts/bench-backfill-parts.sql (run by it, with :round set).
CALL parts_copy('raw');
CHECKPOINT;
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0, pg_current_wal_lsn() AS w0 \gset
UPDATE parts_t SET email_address = email;
INSERT INTO parts_timings VALUES (:round, 'raw', extract(epoch FROM clock_timestamp()) * 1000 - :t0,
                                  pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0') / :rows);

CALL parts_copy('check');
CHECKPOINT;
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0, pg_current_wal_lsn() AS w0 \gset
UPDATE parts_t SET email_address = email;
INSERT INTO parts_timings VALUES (:round, 'check', extract(epoch FROM clock_timestamp()) * 1000 - :t0,
                                  pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0') / :rows);

CALL parts_copy('trigger_skip');
CHECKPOINT;
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0, pg_current_wal_lsn() AS w0 \gset
BEGIN;
SET LOCAL pgphase.backfill = 'parts/1';
UPDATE parts_t SET email_address = email;
COMMIT;
INSERT INTO parts_timings VALUES (:round, 'trigger_skip', extract(epoch FROM clock_timestamp()) * 1000 - :t0,
                                  pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0') / :rows);

CALL parts_copy('trigger_fires');
CHECKPOINT;
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0, pg_current_wal_lsn() AS w0 \gset
UPDATE parts_t SET email_address = email;
INSERT INTO parts_timings VALUES (:round, 'trigger_fires', extract(epoch FROM clock_timestamp()) * 1000 - :t0,
                                  pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0') / :rows);

CALL parts_copy('batched');
CHECKPOINT;
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0, pg_current_wal_lsn() AS w0 \gset
CALL parts_batched(false);
INSERT INTO parts_timings VALUES (:round, 'batched', extract(epoch FROM clock_timestamp()) * 1000 - :t0,
                                  pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0') / :rows);

CALL parts_copy('batched_async');
CHECKPOINT;
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0, pg_current_wal_lsn() AS w0 \gset
CALL parts_batched(true);
INSERT INTO parts_timings VALUES (:round, 'batched_async', extract(epoch FROM clock_timestamp()) * 1000 - :t0,
                                  pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0') / :rows);
