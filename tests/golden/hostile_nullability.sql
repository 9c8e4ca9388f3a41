-- pgphase migration hostile_nullability

-- ===== expand =====

-- fill select.order from up for writes that leave it NULL (lock: ACCESS EXCLUSIVE)
BEGIN;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_hostile_nullability_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF NEW."order" IS NULL THEN
        NEW."order" := (SELECT (length("we""ird")) FROM (SELECT NEW.*) AS pgphase_row);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_hostile_nullability_1" BEFORE INSERT OR UPDATE ON "Mixed Schema"."select" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'hostile_nullability/1') EXECUTE FUNCTION "pgphase"."pgphase_hostile_nullability_1"();
COMMIT;

-- on rollback, restore NOT NULL on select.we"ird if no NULL was written (nothing now) (lock: none)
BEGIN;
COMMIT;

-- allow NULLs in select.we"ird (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" ALTER COLUMN "we""ird" DROP NOT NULL;
COMMIT;

-- set the default of Mixed Case.we"ird (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."Mixed Case" ALTER COLUMN "we""ird" SET DEFAULT 'it''s';
COMMIT;

-- ===== backfill =====

-- fill NULLs of select.order from up (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "Mixed Schema"."select" SET "order" = COALESCE("order", (length("we""ird"))) WHERE (<primary key>) in (next batch) AND ("order" IS NULL AND (length("we""ird")) IS NOT NULL)

-- forbid new NULLs in select.order with a NOT VALID check (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" ADD CONSTRAINT "select_order_not_null" CHECK ("order" IS NOT NULL) NOT VALID;
COMMIT;

-- validate that select.order holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" VALIDATE CONSTRAINT "select_order_not_null";
COMMIT;

-- backfill Mixed Case (we"ird) where "we""ird" IS NOT NULL (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "Mixed Schema"."Mixed Case" SET "we""ird" = CASE WHEN ("we""ird" IS NOT NULL) THEN (upper("we""ird")) ELSE "we""ird" END WHERE (<primary key>) in (next batch) AND (("we""ird" IS NOT NULL) AND ("we""ird"::text IS DISTINCT FROM (upper("we""ird"))::text))

-- ===== contract =====

-- make select.order NOT NULL through the validated check (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_hostile_nullability_1" ON "Mixed Schema"."select";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_hostile_nullability_1"();
ALTER TABLE "Mixed Schema"."select" ALTER COLUMN "order" SET NOT NULL;
ALTER TABLE "Mixed Schema"."select" DROP CONSTRAINT IF EXISTS "select_order_not_null";
COMMIT;

-- drop index Mixed "idx" concurrently (lock: SHARE UPDATE EXCLUSIVE)
DROP INDEX CONCURRENTLY IF EXISTS "Mixed Schema"."Mixed ""idx""";
