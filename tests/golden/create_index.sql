-- pgphase migration 20261124_orders_indexes

-- ===== expand =====

-- build index orders_user_id_created_at_idx on orders concurrently (lock: SHARE UPDATE EXCLUSIVE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_user_id_created_at_idx" ON "public"."orders" USING btree ("user_id", "created_at");

-- build unique index orders_open_reference_key on orders concurrently (lock: SHARE UPDATE EXCLUSIVE)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "orders_open_reference_key" ON "public"."orders" USING btree ("reference") WHERE (status <> 'closed');
