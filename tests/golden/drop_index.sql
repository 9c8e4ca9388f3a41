-- pgphase migration 20261125_drop_orders_status_idx

-- ===== contract =====

-- drop index orders_status_idx concurrently (lock: SHARE UPDATE EXCLUSIVE)
DROP INDEX CONCURRENTLY IF EXISTS "public"."orders_status_idx";
