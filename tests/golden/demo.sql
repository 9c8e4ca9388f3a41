-- pgphase migration demo_users_v2

-- ===== expand =====

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

-- fill orders.currency for existing rows (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "currency" = (upper(legacy_currency)) WHERE (<primary key>) in (next batch) AND ("currency" IS NULL AND (upper(legacy_currency)) IS NOT NULL)

-- validate that orders.currency holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_currency_not_null";
COMMIT;

-- ===== contract =====

-- rename column users.email to email_address (catalog only: no data moves) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."users" RENAME COLUMN "email" TO "email_address";
COMMIT;

-- finish column orders.currency (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_demo_users_v2_3" ON "public"."orders";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_demo_users_v2_3"();
ALTER TABLE "public"."orders" ALTER COLUMN "currency" SET NOT NULL;
ALTER TABLE "public"."orders" DROP CONSTRAINT IF EXISTS "orders_currency_not_null";
COMMIT;
