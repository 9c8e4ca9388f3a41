-- pgphase migration 20261125_drop_orders

-- ===== contract =====

-- drop table orders (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TABLE IF EXISTS "public"."orders";
COMMIT;
