-- pgphase migration 20261125_orders_reference_unique

-- ===== expand =====

-- build unique index orders_reference_key on orders concurrently for its unique constraint (lock: SHARE UPDATE EXCLUSIVE)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "orders_reference_key" ON "public"."orders" ("reference");

-- ===== contract =====

-- attach index orders_reference_key as the unique constraint of orders (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_reference_key" UNIQUE USING INDEX "orders_reference_key";
COMMIT;
