-- pgphase migration hostile_identifiers

-- ===== expand =====

-- add column from to select kept in sync with we"ird by a trigger (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" ADD COLUMN "from" character varying(80);
ALTER TABLE "Mixed Schema"."select" ADD CONSTRAINT "select_from_not_null" CHECK ("from" IS NOT NULL) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_hostile_identifiers_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
#variable_conflict use_column
DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."from" IS NULL THEN
            NEW."from" := NEW."we""ird";
        ELSE
            NEW."we""ird" := NEW."from";
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW."we""ird"::text IS DISTINCT FROM OLD."we""ird"::text;
    pgphase_new_changed := NEW."from"::text IS DISTINCT FROM OLD."from"::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW."we""ird" := NEW."from";
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW."from" := NEW."we""ird";
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW."we""ird"::text IS DISTINCT FROM NEW."from"::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'pgphase: an UPDATE set both "we"ird" and "from" to different values',
                HINT = 'during the rename, write one of the two names, not both';
        END IF;
    ELSE
        NEW."from" := NEW."we""ird";
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_hostile_identifiers_1" BEFORE INSERT OR UPDATE ON "Mixed Schema"."select" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'hostile_identifiers/1') EXECUTE FUNCTION "pgphase"."pgphase_hostile_identifiers_1"();
COMMIT;

-- add column it's to Mixed Case, filled from up for old-version writes (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."Mixed Case" ADD COLUMN "it's" text;
ALTER TABLE "Mixed Schema"."Mixed Case" ADD CONSTRAINT "Mixed Case_it's_not_null" CHECK ("it's" IS NOT NULL) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_hostile_identifiers_2"() RETURNS trigger LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."it's" IS NULL THEN
            NEW."it's" := (SELECT ("we""ird" || 'x') FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    ELSIF NOT (NEW."it's"::text IS DISTINCT FROM OLD."it's"::text) THEN
        IF OLD."it's" IS NULL OR NEW."we""ird"::text IS DISTINCT FROM OLD."we""ird"::text THEN
            NEW."it's" := (SELECT ("we""ird" || 'x') FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_hostile_identifiers_2" BEFORE INSERT OR UPDATE ON "Mixed Schema"."Mixed Case" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'hostile_identifiers/2') EXECUTE FUNCTION "pgphase"."pgphase_hostile_identifiers_2"();
COMMIT;

-- build index idx "q" on select concurrently (lock: SHARE UPDATE EXCLUSIVE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx ""q""" ON "Mixed Schema"."select" USING btree ("from", "order");

-- ===== backfill =====

-- copy select.we"ird into from (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "Mixed Schema"."select" SET "from" = "we""ird" WHERE (<primary key>) in (next batch) AND ("from"::text IS DISTINCT FROM "we""ird"::text)

-- validate that select.from holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" VALIDATE CONSTRAINT "select_from_not_null";
COMMIT;

-- fill Mixed Case.it's for existing rows (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "Mixed Schema"."Mixed Case" SET "it's" = ("we""ird" || 'x') WHERE (<primary key>) in (next batch) AND ("it's" IS NULL AND ("we""ird" || 'x') IS NOT NULL)

-- validate that Mixed Case.it's holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."Mixed Case" VALIDATE CONSTRAINT "Mixed Case_it's_not_null";
COMMIT;

-- ===== contract =====

-- drop select.we"ird and its sync trigger; from takes its place (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_hostile_identifiers_1" ON "Mixed Schema"."select";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_hostile_identifiers_1"();
SELECT "pgphase"."keep_column"('"Mixed Schema"."select"', 'we"ird', '_pgphase_dropped_3d204f28_we"ird', '_pgphase_written_3d204f28', 'hostile_identifiers', 1, '7 days');
ALTER TABLE "Mixed Schema"."select" ALTER COLUMN "from" SET NOT NULL;
ALTER TABLE "Mixed Schema"."select" DROP CONSTRAINT IF EXISTS "select_from_not_null";
COMMIT;

-- finish column Mixed Case.it's (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_hostile_identifiers_2" ON "Mixed Schema"."Mixed Case";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_hostile_identifiers_2"();
ALTER TABLE "Mixed Schema"."Mixed Case" ALTER COLUMN "it's" SET NOT NULL;
ALTER TABLE "Mixed Schema"."Mixed Case" DROP CONSTRAINT IF EXISTS "Mixed Case_it's_not_null";
COMMIT;
