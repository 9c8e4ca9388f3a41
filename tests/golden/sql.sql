-- pgphase migration 20261125_orders_comment
-- not checked (no database); placeholders in <angle brackets>:
--   what the raw SQL of change 1 does to tables: later changes and the version schema do not see it

-- ===== expand =====

-- run sql: COMMENT ON TABLE orders IS 'one row per order' (lock: ACCESS EXCLUSIVE)
BEGIN;
COMMENT ON TABLE orders IS 'one row per order';
COMMENT ON COLUMN orders.status IS 'open, paid or closed';
COMMIT;
