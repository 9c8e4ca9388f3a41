-- pgphase migration 20261123_rename_users_email

-- ===== contract =====

-- rename column users.email to email_address (catalog only: no data moves) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" RENAME COLUMN "email" TO "email_address";
COMMIT;
