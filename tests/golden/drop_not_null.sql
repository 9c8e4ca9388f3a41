-- pgphase migration 20261125_users_email_optional

-- ===== expand =====

-- on rollback, restore NOT NULL on users.email if no NULL was written (nothing now) (lock: none)
BEGIN;
COMMIT;

-- allow NULLs in users.email (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" ALTER COLUMN "email" DROP NOT NULL;
COMMIT;
