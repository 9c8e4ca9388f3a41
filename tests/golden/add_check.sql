-- pgphase migration 20261125_orders_checks

-- ===== expand =====

-- add check orders_status_known on orders not valid (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_status_known" CHECK (status IN ('open', 'paid', 'closed')) NOT VALID;
COMMIT;

-- add check orders_reference_short on orders not valid, fixing violating writes by up (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_reference_short" CHECK (length(reference) <= 40) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_orders_checks_2"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF (SELECT (length(reference) <= 40) IS FALSE FROM (SELECT NEW.*) AS pgphase_row) THEN
        SELECT ("left"(reference, 40)) INTO NEW."reference" FROM (SELECT NEW.*) AS pgphase_row;
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_orders_checks_2" BEFORE INSERT OR UPDATE ON "public"."orders" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_orders_checks/2') EXECUTE FUNCTION "pgphase"."pgphase_20261125_orders_checks_2"();
COMMIT;

-- ===== backfill =====

-- validate constraint orders_status_known on orders (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_status_known";
COMMIT;

-- fix rows of orders that violate orders_reference_short (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "reference" = CASE WHEN (length(reference) <= 40) IS FALSE THEN ("left"(reference, 40)) ELSE "reference" END WHERE (<primary key>) in (next batch) AND ((length(reference) <= 40) IS FALSE)

-- validate constraint orders_reference_short on orders (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_reference_short";
COMMIT;

-- ===== contract =====

-- drop the trigger that fixed writes for orders_reference_short (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_orders_checks_2" ON "public"."orders";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_orders_checks_2"();
COMMIT;
