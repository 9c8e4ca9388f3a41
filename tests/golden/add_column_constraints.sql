-- pgphase migration 20261125_orders_buyer

-- ===== expand =====

-- add column buyer_id to orders, filled from up for old-version writes; briefly SHARE ROW EXCLUSIVE on users (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD COLUMN "buyer_id" bigint;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_buyer_id_check" CHECK (buyer_id > 0) NOT VALID;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "public"."users" ("id") ON DELETE SET NULL NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_orders_buyer_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."buyer_id" IS NULL THEN
            NEW."buyer_id" := (SELECT (user_id) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    ELSIF NOT (NEW."buyer_id"::text IS DISTINCT FROM OLD."buyer_id"::text) THEN
        IF OLD."buyer_id" IS NULL OR NEW."user_id"::text IS DISTINCT FROM OLD."user_id"::text THEN
            NEW."buyer_id" := (SELECT (user_id) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_orders_buyer_1" BEFORE INSERT OR UPDATE ON "public"."orders" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_orders_buyer/1') EXECUTE FUNCTION "pgphase"."pgphase_20261125_orders_buyer_1"();
COMMIT;

-- ===== backfill =====

-- fill orders.buyer_id for existing rows (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "buyer_id" = (user_id) WHERE (<primary key>) in (next batch) AND ("buyer_id" IS NULL AND (user_id) IS NOT NULL)

-- validate check orders_buyer_id_check (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_buyer_id_check";
COMMIT;

-- validate foreign key orders_buyer_id_fkey (ROW SHARE on users) (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_buyer_id_fkey";
COMMIT;

-- build unique index orders_buyer_id_key on orders concurrently (lock: SHARE UPDATE EXCLUSIVE)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "orders_buyer_id_key" ON "public"."orders" ("buyer_id");

-- ===== contract =====

-- make orders_buyer_id_key a unique constraint (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_buyer_id_key" UNIQUE USING INDEX "orders_buyer_id_key";
COMMIT;

-- finish column orders.buyer_id (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_orders_buyer_1" ON "public"."orders";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_orders_buyer_1"();
COMMIT;
