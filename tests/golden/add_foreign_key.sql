-- pgphase migration 20261125_orders_user_fk

-- ===== expand =====

-- build index orders_user_id_idx on orders concurrently for foreign key orders_user_id_fkey (lock: SHARE UPDATE EXCLUSIVE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_user_id_idx" ON "public"."orders" ("user_id");

-- add foreign key orders_user_id_fkey on orders referencing users not valid (lock: SHARE ROW EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION NOT VALID;
COMMIT;

-- ===== backfill =====

-- validate constraint orders_user_id_fkey on orders (no orphan rows) (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_user_id_fkey";
COMMIT;
