-- pgphase migration change_type_hostile

-- ===== expand =====

-- add column _pgphase_new_order bigint to select, kept in sync with order by a trigger (up/down) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" ADD COLUMN "_pgphase_new_order" bigint;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_change_type_hostile_1_up"(pgphase_row "Mixed Schema"."select") RETURNS bigint LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
BEGIN
    RETURN (SELECT ("order"::bigint) FROM (SELECT pgphase_row."order" AS "order") AS pgphase_input);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = SQLSTATE,
        MESSAGE = 'pgphase: up cannot convert "select"."order" to bigint for ' || 'the row (id)=(' || coalesce(pgphase_row."id"::text, 'NULL') || ')' || ': ' || SQLERRM,
        HINT = 'fix the value in that row, or roll the migration back and correct the change''s up expression';
END
$pgphase$;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_change_type_hostile_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
#variable_conflict use_column
DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."_pgphase_new_order" IS NULL THEN
            NEW."_pgphase_new_order" := "pgphase"."pgphase_change_type_hostile_1_up"(NEW);
        ELSE
            NEW."order" := (SELECT ("order"::integer) FROM (SELECT NEW."_pgphase_new_order" AS "order") AS pgphase_input);
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW."order"::text IS DISTINCT FROM OLD."order"::text;
    pgphase_new_changed := NEW."_pgphase_new_order"::text IS DISTINCT FROM OLD."_pgphase_new_order"::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW."order" := (SELECT ("order"::integer) FROM (SELECT NEW."_pgphase_new_order" AS "order") AS pgphase_input);
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW."_pgphase_new_order" := "pgphase"."pgphase_change_type_hostile_1_up"(NEW);
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW."_pgphase_new_order"::text IS DISTINCT FROM "pgphase"."pgphase_change_type_hostile_1_up"(NEW)::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'pgphase: an UPDATE set "select"."order" in both its old and its new type to different values',
                HINT = 'while the type changes, write the column in one of the two types, not both';
        END IF;
    ELSIF NEW."_pgphase_new_order" IS NULL THEN
        NEW."_pgphase_new_order" := "pgphase"."pgphase_change_type_hostile_1_up"(NEW);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_change_type_hostile_1" BEFORE INSERT OR UPDATE ON "Mixed Schema"."select" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'change_type_hostile/1') EXECUTE FUNCTION "pgphase"."pgphase_change_type_hostile_1"();
COMMIT;

-- add column _pgphase_new_we"ird varchar(10) to Mixed Case, kept in sync with we"ird by a trigger (up/down) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."Mixed Case" ADD COLUMN "_pgphase_new_we""ird" varchar(10);
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_change_type_hostile_2_up"(pgphase_row "Mixed Schema"."Mixed Case") RETURNS varchar(10) LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
BEGIN
    RETURN (SELECT ("left"("we""ird", 10)) FROM (SELECT pgphase_row."we""ird" AS "we""ird") AS pgphase_input);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = SQLSTATE,
        MESSAGE = 'pgphase: up cannot convert "Mixed Case"."we"ird" to varchar(10) for ' || 'the row (id)=(' || coalesce(pgphase_row."id"::text, 'NULL') || ')' || ': ' || SQLERRM,
        HINT = 'fix the value in that row, or roll the migration back and correct the change''s up expression';
END
$pgphase$;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_change_type_hostile_2"() RETURNS trigger LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
#variable_conflict use_column
DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."_pgphase_new_we""ird" IS NULL THEN
            NEW."_pgphase_new_we""ird" := "pgphase"."pgphase_change_type_hostile_2_up"(NEW);
        ELSE
            NEW."we""ird" := (SELECT ("we""ird"::text) FROM (SELECT NEW."_pgphase_new_we""ird" AS "we""ird") AS pgphase_input);
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW."we""ird"::text IS DISTINCT FROM OLD."we""ird"::text;
    pgphase_new_changed := NEW."_pgphase_new_we""ird"::text IS DISTINCT FROM OLD."_pgphase_new_we""ird"::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW."we""ird" := (SELECT ("we""ird"::text) FROM (SELECT NEW."_pgphase_new_we""ird" AS "we""ird") AS pgphase_input);
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW."_pgphase_new_we""ird" := "pgphase"."pgphase_change_type_hostile_2_up"(NEW);
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW."_pgphase_new_we""ird"::text IS DISTINCT FROM "pgphase"."pgphase_change_type_hostile_2_up"(NEW)::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'pgphase: an UPDATE set "Mixed Case"."we"ird" in both its old and its new type to different values',
                HINT = 'while the type changes, write the column in one of the two types, not both';
        END IF;
    ELSIF NEW."_pgphase_new_we""ird" IS NULL THEN
        NEW."_pgphase_new_we""ird" := "pgphase"."pgphase_change_type_hostile_2_up"(NEW);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_change_type_hostile_2" BEFORE INSERT OR UPDATE ON "Mixed Schema"."Mixed Case" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'change_type_hostile/2') EXECUTE FUNCTION "pgphase"."pgphase_change_type_hostile_2"();
COMMIT;

-- ===== backfill =====

-- convert select.order into _pgphase_new_order (bigint) (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "Mixed Schema"."select" SET "_pgphase_new_order" = "pgphase"."pgphase_change_type_hostile_1_up"("select") WHERE (<primary key>) in (next batch) AND ("_pgphase_new_order" IS NULL AND "pgphase"."pgphase_change_type_hostile_1_up"("select") IS NOT NULL)

-- convert Mixed Case.we"ird into _pgphase_new_we"ird (varchar(10)) (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "Mixed Schema"."Mixed Case" SET "_pgphase_new_we""ird" = "pgphase"."pgphase_change_type_hostile_2_up"("Mixed Case") WHERE (<primary key>) in (next batch) AND ("_pgphase_new_we""ird" IS NULL AND "pgphase"."pgphase_change_type_hostile_2_up"("Mixed Case") IS NOT NULL)

-- build index _pgphase_new_Mixed "idx" on Mixed Case._pgphase_new_we"ird concurrently, to replace Mixed "idx" (lock: SHARE UPDATE EXCLUSIVE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "_pgphase_new_Mixed ""idx""" ON "Mixed Schema"."Mixed Case" USING btree ("_pgphase_new_we""ird");

-- ===== contract =====

-- drop select.order and its sync trigger; _pgphase_new_order takes its name (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_change_type_hostile_1" ON "Mixed Schema"."select";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_change_type_hostile_1"();
DROP FUNCTION IF EXISTS "pgphase"."pgphase_change_type_hostile_1_up"("Mixed Schema"."select");
SELECT "pgphase"."keep_column"('"Mixed Schema"."select"', 'order', '_pgphase_dropped_941e1547_order', '_pgphase_written_941e1547', 'change_type_hostile', 1, '7 days');
ALTER TABLE "Mixed Schema"."select" RENAME COLUMN "_pgphase_new_order" TO "order";
COMMIT;

-- drop Mixed Case.we"ird and its sync trigger; _pgphase_new_we"ird takes its name (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_change_type_hostile_2" ON "Mixed Schema"."Mixed Case";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_change_type_hostile_2"();
DROP FUNCTION IF EXISTS "pgphase"."pgphase_change_type_hostile_2_up"("Mixed Schema"."Mixed Case");
SELECT "pgphase"."keep_column"('"Mixed Schema"."Mixed Case"', 'we"ird', '_pgphase_dropped_d6d02ae8_we"ird', '_pgphase_written_d6d02ae8', 'change_type_hostile', 2, '7 days');
ALTER TABLE "Mixed Schema"."Mixed Case" RENAME COLUMN "_pgphase_new_we""ird" TO "we""ird";
ALTER INDEX "Mixed Schema"."_pgphase_new_Mixed ""idx""" RENAME TO "Mixed ""idx""";
COMMIT;
