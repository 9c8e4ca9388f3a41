-- pgphase migration 20261125_drop_orders

-- ===== contract =====

-- drop table orders (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
SELECT "pgphase"."keep_table"('"public"."orders"', '_pgphase_dropped_75598348_orders', 'pgphase_dropped', '20261125_drop_orders', 1, '7 days');
COMMIT;
