-- pgphase migration 20261125_audit_events_pkey

-- ===== expand =====

-- check that the primary key columns of audit_events hold no NULL (not valid yet) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."audit_events" ADD CONSTRAINT "audit_events_tenant_id_not_null" CHECK ("tenant_id" IS NOT NULL) NOT VALID;
COMMIT;

-- build unique index audit_events_pkey on audit_events concurrently for its primary key (lock: SHARE UPDATE EXCLUSIVE)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "audit_events_pkey" ON "public"."audit_events" ("tenant_id", "id");

-- ===== backfill =====

-- validate that audit_events.tenant_id holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."audit_events" VALIDATE CONSTRAINT "audit_events_tenant_id_not_null";
COMMIT;

-- ===== contract =====

-- attach index audit_events_pkey as the primary key of audit_events (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."audit_events" ALTER COLUMN "tenant_id" SET NOT NULL;
ALTER TABLE "public"."audit_events" ADD CONSTRAINT "audit_events_pkey" PRIMARY KEY USING INDEX "audit_events_pkey";
ALTER TABLE "public"."audit_events" DROP CONSTRAINT IF EXISTS "audit_events_tenant_id_not_null";
COMMIT;
