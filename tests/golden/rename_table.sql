-- pgphase migration 20261125_rename_users

-- ===== contract =====

-- rename table users to customers (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" RENAME TO "customers";
COMMIT;
