-- pgphase migration 20261125_users_name_default

-- ===== expand =====

-- set the default of users.name (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" ALTER COLUMN "name" SET DEFAULT 'anonymous';
COMMIT;

-- fill users.name from up for writes that leave it NULL (lock: ACCESS EXCLUSIVE)
BEGIN;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_users_name_default_2"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF NEW."name" IS NULL THEN
        NEW."name" := (SELECT ('anonymous') FROM (SELECT NEW.*) AS pgphase_row);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_users_name_default_2" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_users_name_default/2') EXECUTE FUNCTION "pgphase"."pgphase_20261125_users_name_default_2"();
COMMIT;

-- ===== backfill =====

-- fill NULLs of users.name from up (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."users" SET "name" = COALESCE("name", ('anonymous')) WHERE (<primary key>) in (next batch) AND ("name" IS NULL AND ('anonymous') IS NOT NULL)

-- forbid new NULLs in users.name with a NOT VALID check (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" ADD CONSTRAINT "users_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;
COMMIT;

-- validate that users.name holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_name_not_null";
COMMIT;

-- ===== contract =====

-- make users.name NOT NULL through the validated check (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_users_name_default_2" ON "public"."users";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_users_name_default_2"();
ALTER TABLE "public"."users" ALTER COLUMN "name" SET NOT NULL;
ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_name_not_null";
COMMIT;
