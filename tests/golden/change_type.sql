-- pgphase migration 20261125_events_types

-- ===== expand =====

-- add column _pgphase_new_payload jsonb to events, kept in sync with payload by a trigger (up/down) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" ADD COLUMN "_pgphase_new_payload" jsonb;
ALTER TABLE "public"."events" ADD CONSTRAINT "events__pgphase_new_payload_not_null" CHECK ("_pgphase_new_payload" IS NOT NULL) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_events_types_1_up"(pgphase_row "public"."events") RETURNS jsonb LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
BEGIN
    RETURN (SELECT (payload::jsonb) FROM (SELECT pgphase_row."payload" AS "payload") AS pgphase_input);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = SQLSTATE,
        MESSAGE = 'pgphase: up cannot convert "events"."payload" to jsonb for ' || 'the row (id)=(' || coalesce(pgphase_row."id"::text, 'NULL') || ')' || ': ' || SQLERRM,
        HINT = 'fix the value in that row, or roll the migration back and correct the change''s up expression';
END
$pgphase$;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_events_types_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."_pgphase_new_payload" IS NULL THEN
            NEW."_pgphase_new_payload" := "pgphase"."pgphase_20261125_events_types_1_up"(NEW);
        ELSE
            NEW."payload" := (SELECT (payload::text) FROM (SELECT NEW."_pgphase_new_payload" AS "payload") AS pgphase_input);
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW."payload"::text IS DISTINCT FROM OLD."payload"::text;
    pgphase_new_changed := NEW."_pgphase_new_payload"::text IS DISTINCT FROM OLD."_pgphase_new_payload"::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW."payload" := (SELECT (payload::text) FROM (SELECT NEW."_pgphase_new_payload" AS "payload") AS pgphase_input);
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW."_pgphase_new_payload" := "pgphase"."pgphase_20261125_events_types_1_up"(NEW);
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW."_pgphase_new_payload"::text IS DISTINCT FROM "pgphase"."pgphase_20261125_events_types_1_up"(NEW)::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'pgphase: an UPDATE set "events"."payload" in both its old and its new type to different values',
                HINT = 'while the type changes, write the column in one of the two types, not both';
        END IF;
    ELSIF NEW."_pgphase_new_payload" IS NULL THEN
        NEW."_pgphase_new_payload" := "pgphase"."pgphase_20261125_events_types_1_up"(NEW);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_events_types_1" BEFORE INSERT OR UPDATE ON "public"."events" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_events_types/1') EXECUTE FUNCTION "pgphase"."pgphase_20261125_events_types_1"();
COMMIT;

-- add column _pgphase_new_amount bigint to events, kept in sync with amount by a trigger (up/down) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" ADD COLUMN "_pgphase_new_amount" bigint;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_events_types_2_up"(pgphase_row "public"."events") RETURNS bigint LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
BEGIN
    RETURN (SELECT ("amount"::bigint) FROM (SELECT pgphase_row."amount" AS "amount") AS pgphase_input);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = SQLSTATE,
        MESSAGE = 'pgphase: up cannot convert "events"."amount" to bigint for ' || 'the row (id)=(' || coalesce(pgphase_row."id"::text, 'NULL') || ')' || ': ' || SQLERRM,
        HINT = 'fix the value in that row, or roll the migration back and correct the change''s up expression';
END
$pgphase$;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_events_types_2"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."_pgphase_new_amount" IS NULL THEN
            NEW."_pgphase_new_amount" := "pgphase"."pgphase_20261125_events_types_2_up"(NEW);
        ELSE
            NEW."amount" := (SELECT ("amount"::integer) FROM (SELECT NEW."_pgphase_new_amount" AS "amount") AS pgphase_input);
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW."amount"::text IS DISTINCT FROM OLD."amount"::text;
    pgphase_new_changed := NEW."_pgphase_new_amount"::text IS DISTINCT FROM OLD."_pgphase_new_amount"::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW."amount" := (SELECT ("amount"::integer) FROM (SELECT NEW."_pgphase_new_amount" AS "amount") AS pgphase_input);
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW."_pgphase_new_amount" := "pgphase"."pgphase_20261125_events_types_2_up"(NEW);
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW."_pgphase_new_amount"::text IS DISTINCT FROM "pgphase"."pgphase_20261125_events_types_2_up"(NEW)::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'pgphase: an UPDATE set "events"."amount" in both its old and its new type to different values',
                HINT = 'while the type changes, write the column in one of the two types, not both';
        END IF;
    ELSIF NEW."_pgphase_new_amount" IS NULL THEN
        NEW."_pgphase_new_amount" := "pgphase"."pgphase_20261125_events_types_2_up"(NEW);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_events_types_2" BEFORE INSERT OR UPDATE ON "public"."events" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_events_types/2') EXECUTE FUNCTION "pgphase"."pgphase_20261125_events_types_2"();
COMMIT;

-- add column _pgphase_new_user_id bigint to events, kept in sync with user_id by a trigger (up/down) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" ADD COLUMN "_pgphase_new_user_id" bigint;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_events_types_3_up"(pgphase_row "public"."events") RETURNS bigint LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
BEGIN
    RETURN (SELECT ("user_id"::bigint) FROM (SELECT pgphase_row."user_id" AS "user_id") AS pgphase_input);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = SQLSTATE,
        MESSAGE = 'pgphase: up cannot convert "events"."user_id" to bigint for ' || 'the row (id)=(' || coalesce(pgphase_row."id"::text, 'NULL') || ')' || ': ' || SQLERRM,
        HINT = 'fix the value in that row, or roll the migration back and correct the change''s up expression';
END
$pgphase$;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_20261125_events_types_3"() RETURNS trigger LANGUAGE plpgsql SET search_path = "public" AS $pgphase$
#variable_conflict use_column
DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."_pgphase_new_user_id" IS NULL THEN
            NEW."_pgphase_new_user_id" := "pgphase"."pgphase_20261125_events_types_3_up"(NEW);
        ELSE
            NEW."user_id" := (SELECT ("user_id"::integer) FROM (SELECT NEW."_pgphase_new_user_id" AS "user_id") AS pgphase_input);
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW."user_id"::text IS DISTINCT FROM OLD."user_id"::text;
    pgphase_new_changed := NEW."_pgphase_new_user_id"::text IS DISTINCT FROM OLD."_pgphase_new_user_id"::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW."user_id" := (SELECT ("user_id"::integer) FROM (SELECT NEW."_pgphase_new_user_id" AS "user_id") AS pgphase_input);
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW."_pgphase_new_user_id" := "pgphase"."pgphase_20261125_events_types_3_up"(NEW);
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW."_pgphase_new_user_id"::text IS DISTINCT FROM "pgphase"."pgphase_20261125_events_types_3_up"(NEW)::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'pgphase: an UPDATE set "events"."user_id" in both its old and its new type to different values',
                HINT = 'while the type changes, write the column in one of the two types, not both';
        END IF;
    ELSIF NEW."_pgphase_new_user_id" IS NULL THEN
        NEW."_pgphase_new_user_id" := "pgphase"."pgphase_20261125_events_types_3_up"(NEW);
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_20261125_events_types_3" BEFORE INSERT OR UPDATE ON "public"."events" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM '20261125_events_types/3') EXECUTE FUNCTION "pgphase"."pgphase_20261125_events_types_3"();
COMMIT;

-- change type of events.kind to text in place: metadata only, no copy of the table (varchar(20) to text is binary compatible) (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" ALTER COLUMN "kind" TYPE text;
COMMIT;

-- ===== backfill =====

-- convert events.payload into _pgphase_new_payload (jsonb) (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."events" SET "_pgphase_new_payload" = "pgphase"."pgphase_20261125_events_types_1_up"("events") WHERE (<primary key>) in (next batch) AND ("_pgphase_new_payload" IS NULL AND "pgphase"."pgphase_20261125_events_types_1_up"("events") IS NOT NULL)

-- validate that events._pgphase_new_payload holds no NULL (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" VALIDATE CONSTRAINT "events__pgphase_new_payload_not_null";
COMMIT;

-- convert events.amount into _pgphase_new_amount (bigint) (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."events" SET "_pgphase_new_amount" = "pgphase"."pgphase_20261125_events_types_2_up"("events") WHERE (<primary key>) in (next batch) AND ("_pgphase_new_amount" IS NULL AND "pgphase"."pgphase_20261125_events_types_2_up"("events") IS NOT NULL)

-- build index _pgphase_new_events_amount_idx on events._pgphase_new_amount concurrently, to replace events_amount_idx (lock: SHARE UPDATE EXCLUSIVE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "_pgphase_new_events_amount_idx" ON "public"."events" USING btree ("_pgphase_new_amount") WHERE ("_pgphase_new_amount" > 0);

-- build index _pgphase_new_events_amount_key on events._pgphase_new_amount concurrently, to replace events_amount_key (lock: SHARE UPDATE EXCLUSIVE)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "_pgphase_new_events_amount_key" ON "public"."events" USING btree ("_pgphase_new_amount");

-- add check _pgphase_new_events_amount_check on events._pgphase_new_amount (not valid), to replace events_amount_check (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" ADD CONSTRAINT "_pgphase_new_events_amount_check" CHECK (("_pgphase_new_amount" > 0)) NOT VALID;
COMMIT;

-- validate check _pgphase_new_events_amount_check on events._pgphase_new_amount (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" VALIDATE CONSTRAINT "_pgphase_new_events_amount_check";
COMMIT;

-- convert events.user_id into _pgphase_new_user_id (bigint) (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."events" SET "_pgphase_new_user_id" = "pgphase"."pgphase_20261125_events_types_3_up"("events") WHERE (<primary key>) in (next batch) AND ("_pgphase_new_user_id" IS NULL AND "pgphase"."pgphase_20261125_events_types_3_up"("events") IS NOT NULL)

-- add foreign key _pgphase_new_events_user_id_fkey on events._pgphase_new_user_id (not valid), to replace events_user_id_fkey (lock: SHARE ROW EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" ADD CONSTRAINT "_pgphase_new_events_user_id_fkey" FOREIGN KEY ("_pgphase_new_user_id") REFERENCES users(id) NOT VALID;
COMMIT;

-- validate foreign key _pgphase_new_events_user_id_fkey on events._pgphase_new_user_id (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "public"."events" VALIDATE CONSTRAINT "_pgphase_new_events_user_id_fkey";
COMMIT;

-- ===== contract =====

-- drop events.payload and its sync trigger; _pgphase_new_payload takes its name (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_events_types_1" ON "public"."events";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_events_types_1"();
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_events_types_1_up"("public"."events");
SELECT "pgphase"."keep_column"('"public"."events"', 'payload', '_pgphase_dropped_4c0d7150_payload', '_pgphase_written_4c0d7150', '20261125_events_types', 1, '7 days');
ALTER TABLE "public"."events" RENAME COLUMN "_pgphase_new_payload" TO "payload";
ALTER TABLE "public"."events" ALTER COLUMN "payload" SET DEFAULT ('{}'::text)::jsonb;
ALTER TABLE "public"."events" ALTER COLUMN "payload" SET NOT NULL;
ALTER TABLE "public"."events" DROP CONSTRAINT IF EXISTS "events__pgphase_new_payload_not_null";
COMMIT;

-- drop events.amount and its sync trigger; _pgphase_new_amount takes its name (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_events_types_2" ON "public"."events";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_events_types_2"();
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_events_types_2_up"("public"."events");
SELECT "pgphase"."keep_column"('"public"."events"', 'amount', '_pgphase_dropped_b40e7acf_amount', '_pgphase_written_b40e7acf', '20261125_events_types', 2, '7 days');
ALTER TABLE "public"."events" RENAME COLUMN "_pgphase_new_amount" TO "amount";
ALTER INDEX "public"."_pgphase_new_events_amount_idx" RENAME TO "events_amount_idx";
ALTER TABLE "public"."events" ADD CONSTRAINT "events_amount_key" UNIQUE USING INDEX "_pgphase_new_events_amount_key";
ALTER TABLE "public"."events" RENAME CONSTRAINT "_pgphase_new_events_amount_check" TO "events_amount_check";
COMMIT;

-- drop events.user_id and its sync trigger; _pgphase_new_user_id takes its name (kept 7d as a tombstone) (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_20261125_events_types_3" ON "public"."events";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_events_types_3"();
DROP FUNCTION IF EXISTS "pgphase"."pgphase_20261125_events_types_3_up"("public"."events");
SELECT "pgphase"."keep_column"('"public"."events"', 'user_id', '_pgphase_dropped_cbfc192f_user_id', '_pgphase_written_cbfc192f', '20261125_events_types', 3, '7 days');
ALTER TABLE "public"."events" RENAME COLUMN "_pgphase_new_user_id" TO "user_id";
ALTER TABLE "public"."events" RENAME CONSTRAINT "_pgphase_new_events_user_id_fkey" TO "events_user_id_fkey";
COMMIT;
