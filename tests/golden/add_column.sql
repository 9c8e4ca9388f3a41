-- pgphase migration 20261124_orders_currency

-- ===== expand =====

-- add column currency to orders, filled from up for old-version writes (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD COLUMN "currency" text;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_currency_not_null" CHECK ("currency" IS NOT NULL) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261124_orders_currency_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."currency" IS NULL THEN
            NEW."currency" := (SELECT COALESCE((upper(legacy_currency)), ('USD')) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    ELSIF NOT (NEW."currency"::text IS DISTINCT FROM OLD."currency"::text) THEN
        IF OLD."currency" IS NULL OR NEW."legacy_currency"::text IS DISTINCT FROM OLD."legacy_currency"::text THEN
            NEW."currency" := (SELECT COALESCE((upper(legacy_currency)), ('USD')) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261124_orders_currency_1" BEFORE INSERT OR UPDATE ON "public"."orders" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261124_orders_currency/1') EXECUTE FUNCTION "pgphase"."pgphase_20261124_orders_currency_1"();
COMMIT;

-- add column note to orders (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD COLUMN "note" varchar(200);
COMMIT;

-- add column public_id to orders, default for new rows (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD COLUMN "public_id" uuid;
ALTER TABLE "public"."orders" ALTER COLUMN "public_id" SET DEFAULT gen_random_uuid();
COMMIT;

-- ===== backfill =====

-- fill orders.currency for existing rows (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "currency" = COALESCE((upper(legacy_currency)), ('USD')) WHERE (<primary key>) in (next batch) AND ("currency" IS NULL AND COALESCE((upper(legacy_currency)), ('USD')) IS NOT NULL)

-- validate that orders.currency holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_currency_not_null";
COMMIT;

-- fill orders.public_id for existing rows (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "public_id" = (gen_random_uuid()) WHERE (<primary key>) in (next batch) AND ("public_id" IS NULL AND (gen_random_uuid()) IS NOT NULL)

-- ===== contract =====

-- finish column orders.currency (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261124_orders_currency_1" ON "public"."orders";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261124_orders_currency_1"();
ALTER TABLE "public"."orders" ALTER COLUMN "currency" SET DEFAULT 'USD';
ALTER TABLE "public"."orders" ALTER COLUMN "currency" SET NOT NULL;
ALTER TABLE "public"."orders" DROP CONSTRAINT IF EXISTS "orders_currency_not_null";
COMMIT;
