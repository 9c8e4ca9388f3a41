-- pgphase migration demo_users_v2

-- ===== expand =====

-- add column email_address to users kept in sync with email by a trigger (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" ADD COLUMN "email_address" text;
ALTER TABLE "public"."users" ADD CONSTRAINT "users_email_address_not_null" CHECK ("email_address" IS NOT NULL) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_demo_users_v2_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."email_address" IS NULL THEN
            NEW."email_address" := NEW."email";
        ELSE
            NEW."email" := NEW."email_address";
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW."email"::text IS DISTINCT FROM OLD."email"::text;
    pgphase_new_changed := NEW."email_address"::text IS DISTINCT FROM OLD."email_address"::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW."email" := NEW."email_address";
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW."email_address" := NEW."email";
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW."email"::text IS DISTINCT FROM NEW."email_address"::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'pgphase: an UPDATE set both "email" and "email_address" to different values',
                HINT = 'during the rename, write one of the two names, not both';
        END IF;
    ELSE
        NEW."email_address" := NEW."email";
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_demo_users_v2_1" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'demo_users_v2/1') EXECUTE FUNCTION "pgphase"."pgphase_demo_users_v2_1"();
COMMIT;

-- build index users_name_idx on users concurrently (lock: SHARE UPDATE EXCLUSIVE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_name_idx" ON "public"."users" USING btree ("name");

-- add column currency to orders, filled from up for old-version writes (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD COLUMN "currency" text;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_currency_not_null" CHECK ("currency" IS NOT NULL) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_demo_users_v2_3"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."currency" IS NULL THEN
            NEW."currency" := (SELECT (upper(legacy_currency)) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    ELSIF NOT (NEW."currency"::text IS DISTINCT FROM OLD."currency"::text) THEN
        IF OLD."currency" IS NULL OR NEW."legacy_currency"::text IS DISTINCT FROM OLD."legacy_currency"::text THEN
            NEW."currency" := (SELECT (upper(legacy_currency)) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_demo_users_v2_3" BEFORE INSERT OR UPDATE ON "public"."orders" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'demo_users_v2/3') EXECUTE FUNCTION "pgphase"."pgphase_demo_users_v2_3"();
COMMIT;

-- ===== backfill =====

-- copy users.email into email_address (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."users" SET "email_address" = "email" WHERE (<primary key>) in (next batch) AND ("email_address"::text IS DISTINCT FROM "email"::text)

-- validate that users.email_address holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_email_address_not_null";
COMMIT;

-- fill orders.currency for existing rows (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "currency" = (upper(legacy_currency)) WHERE (<primary key>) in (next batch) AND ("currency" IS NULL AND (upper(legacy_currency)) IS NOT NULL)

-- validate that orders.currency holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_currency_not_null";
COMMIT;

-- ===== contract =====

-- drop users.email and its sync trigger; email_address takes its place (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_demo_users_v2_1" ON "public"."users";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_demo_users_v2_1"();
ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "email";
ALTER TABLE "public"."users" ALTER COLUMN "email_address" SET DEFAULT 'none'::text;
ALTER TABLE "public"."users" ALTER COLUMN "email_address" SET NOT NULL;
ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_email_address_not_null";
COMMIT;

-- finish column orders.currency (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_demo_users_v2_3" ON "public"."orders";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_demo_users_v2_3"();
ALTER TABLE "public"."orders" ALTER COLUMN "currency" SET NOT NULL;
ALTER TABLE "public"."orders" DROP CONSTRAINT IF EXISTS "orders_currency_not_null";
COMMIT;
