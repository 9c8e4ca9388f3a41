-- pgphase migration 20261125_orders_reference_not_null

-- ===== expand =====

-- fill orders.reference from up for writes that leave it NULL (lock: ACCESS EXCLUSIVE)
BEGIN;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_orders_reference_not_null_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF NEW."reference" IS NULL THEN
        NEW."reference" := (SELECT ('legacy-' || id) FROM (SELECT NEW.*) AS pgphase_row);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_orders_reference_not_null_1" BEFORE INSERT OR UPDATE ON "public"."orders" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_orders_reference_not_null/1') EXECUTE FUNCTION "pgphase"."pgphase_20261125_orders_reference_not_null_1"();
COMMIT;

-- ===== backfill =====

-- fill NULLs of orders.reference from up (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "reference" = COALESCE("reference", ('legacy-' || id)) WHERE (<primary key>) in (next batch) AND ("reference" IS NULL AND ('legacy-' || id) IS NOT NULL)

-- forbid new NULLs in orders.reference with a NOT VALID check (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_reference_not_null" CHECK ("reference" IS NOT NULL) NOT VALID;
COMMIT;

-- validate that orders.reference holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_reference_not_null";
COMMIT;

-- ===== contract =====

-- make orders.reference NOT NULL through the validated check (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_orders_reference_not_null_1" ON "public"."orders";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_orders_reference_not_null_1"();
ALTER TABLE "public"."orders" ALTER COLUMN "reference" SET NOT NULL;
ALTER TABLE "public"."orders" DROP CONSTRAINT IF EXISTS "orders_reference_not_null";
COMMIT;
