-- pgphase migration 20261125_drop_orders_status

-- ===== expand =====

-- fill orders.status from down for new-version writes until it is dropped (lock: SHARE ROW EXCLUSIVE)
BEGIN;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_drop_orders_status_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL THEN
            NEW."status" := (SELECT (CASE WHEN reference IS NULL THEN 'draft' ELSE 'open' END) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    ELSIF NOT (NEW."status"::text IS DISTINCT FROM OLD."status"::text) AND (NEW."reference"::text IS DISTINCT FROM OLD."reference"::text) THEN
        NEW."status" := (SELECT (CASE WHEN reference IS NULL THEN 'draft' ELSE 'open' END) FROM (SELECT NEW.*) AS pgphase_row);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_drop_orders_status_1" BEFORE INSERT OR UPDATE ON "public"."orders" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_drop_orders_status/1') EXECUTE FUNCTION "pgphase"."pgphase_20261125_drop_orders_status_1"();
COMMIT;

-- ===== contract =====

-- drop column orders.status (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_drop_orders_status_1" ON "public"."orders";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_drop_orders_status_1"();
SELECT "pgphase"."keep_column"('"public"."orders"', 'status', '_pgphase_dropped_dfba353f_status', '_pgphase_written_dfba353f', '20261125_drop_orders_status', 1, '7 days');
COMMIT;

-- drop column orders.legacy_currency (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
SELECT "pgphase"."keep_column"('"public"."orders"', 'legacy_currency', '_pgphase_dropped_5c77ee08_legacy_currency', '_pgphase_written_5c77ee08', '20261125_drop_orders_status', 2, '7 days');
COMMIT;
