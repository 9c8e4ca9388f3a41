-- pgphase migration 20261125_orders_comment

-- ===== expand =====

-- run sql: COMMENT ON TABLE orders IS 'one row per order' (lock: ACCESS EXCLUSIVE)
BEGIN;
COMMENT ON TABLE orders IS 'one row per order';
COMMENT ON COLUMN orders.status IS 'open, paid or closed';
COMMIT;
