-- pgphase migration 20261204_replica_identity

-- ===== expand =====

-- build unique index users_email_key on users concurrently (lock: SHARE UPDATE EXCLUSIVE)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_email_key" ON "public"."users" USING btree ("email");

-- ===== contract =====

-- set the replica identity of orders to FULL (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" REPLICA IDENTITY FULL;
COMMIT;

-- set the replica identity of users to USING INDEX users_email_key (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" REPLICA IDENTITY USING INDEX "users_email_key";
COMMIT;
