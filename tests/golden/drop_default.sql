-- pgphase migration 20261125_users_email_no_default

-- ===== contract =====

-- drop the default of users.email (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" ALTER COLUMN "email" DROP DEFAULT;
COMMIT;
