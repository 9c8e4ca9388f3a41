-- pgphase migration 20261204_comments

-- ===== contract =====

-- set the comment of users.email (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
COMMENT ON COLUMN "public"."users"."email" IS 'login address; unique, lower case';
COMMIT;

-- set the comment of table orders (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
COMMENT ON TABLE "public"."orders" IS 'one row per order; see docs/orders.md';
COMMIT;

-- remove the comment of users.name (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
COMMENT ON COLUMN "public"."users"."name" IS NULL;
COMMIT;
