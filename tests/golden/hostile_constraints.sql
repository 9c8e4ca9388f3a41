-- pgphase migration hostile_constraints

-- ===== expand =====

-- add check chk "q" on select not valid, fixing violating writes by up (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" ADD CONSTRAINT "chk ""q""" CHECK ("order" >= 0) NOT VALID;
CREATE OR REPLACE FUNCTION "pgphase"."pgphase_hostile_constraints_1"() RETURNS trigger LANGUAGE plpgsql SET search_path = "Mixed Schema" AS $pgphase$
#variable_conflict use_column
BEGIN
    IF (SELECT ("order" >= 0) IS FALSE FROM (SELECT NEW.*) AS pgphase_row) THEN
        SELECT (abs("order")) INTO NEW."order" FROM (SELECT NEW.*) AS pgphase_row;
    END IF;
    RETURN NEW;
END
$pgphase$;
CREATE TRIGGER "pgphase_hostile_constraints_1" BEFORE INSERT OR UPDATE ON "Mixed Schema"."select" FOR EACH ROW WHEN (pg_catalog.current_setting('pgphase.backfill', true) IS DISTINCT FROM 'hostile_constraints/1') EXECUTE FUNCTION "pgphase"."pgphase_hostile_constraints_1"();
COMMIT;

-- build unique index select_we"ird_key on select concurrently for its unique constraint (lock: SHARE UPDATE EXCLUSIVE)
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "select_we""ird_key" ON "Mixed Schema"."select" ("we""ird");

-- build index Mixed Case_id_idx on Mixed Case concurrently for foreign key fk's (lock: SHARE UPDATE EXCLUSIVE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "Mixed Case_id_idx" ON "Mixed Schema"."Mixed Case" ("id");

-- add foreign key fk's on Mixed Case referencing select not valid (lock: SHARE ROW EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."Mixed Case" ADD CONSTRAINT "fk's" FOREIGN KEY ("id") REFERENCES "Mixed Schema"."select" ("id") ON DELETE CASCADE ON UPDATE NO ACTION NOT VALID;
COMMIT;

-- ===== backfill =====

-- fix rows of select that violate chk "q" (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "Mixed Schema"."select" SET "order" = CASE WHEN ("order" >= 0) IS FALSE THEN (abs("order")) ELSE "order" END WHERE (<primary key>) in (next batch) AND (("order" >= 0) IS FALSE)

-- validate constraint chk "q" on select (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" VALIDATE CONSTRAINT "chk ""q""";
COMMIT;

-- validate constraint fk's on Mixed Case (no orphan rows) (lock: SHARE UPDATE EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."Mixed Case" VALIDATE CONSTRAINT "fk's";
COMMIT;

-- ===== contract =====

-- drop the trigger that fixed writes for chk "q" (lock: ACCESS EXCLUSIVE)
BEGIN;
DROP TRIGGER IF EXISTS "pgphase_hostile_constraints_1" ON "Mixed Schema"."select";
DROP FUNCTION IF EXISTS "pgphase"."pgphase_hostile_constraints_1"();
COMMIT;

-- attach index select_we"ird_key as the unique constraint of select (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" ADD CONSTRAINT "select_we""ird_key" UNIQUE USING INDEX "select_we""ird_key";
COMMIT;

-- rename constraint chk "q" on select to Order Check (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."select" RENAME CONSTRAINT "chk ""q""" TO "Order Check";
COMMIT;

-- drop constraint fk's on Mixed Case (lock: ACCESS EXCLUSIVE)
BEGIN;
ALTER TABLE "Mixed Schema"."Mixed Case" DROP CONSTRAINT IF EXISTS "fk's";
COMMIT;
