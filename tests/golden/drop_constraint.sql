-- pgphase migration 20261125_drop_audit_kind_check

-- ===== contract =====

-- drop constraint audit_events_kind_check on audit_events (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."audit_events" DROP CONSTRAINT IF EXISTS "audit_events_kind_check";
COMMIT;
