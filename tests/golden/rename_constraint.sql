-- pgphase migration 20261125_rename_audit_kind_check

-- ===== contract =====

-- rename constraint audit_events_kind_check on audit_events to audit_events_kind_present (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."audit_events" RENAME CONSTRAINT "audit_events_kind_check" TO "audit_events_kind_present";
COMMIT;
