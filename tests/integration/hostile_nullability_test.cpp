// The hostile nullability plan (keywords, spaces, quotes in schema, table, column and index
// names) runs its whole life cycle, and a rollback, on a real PostgreSQL.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class HostileNullability : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute(R"(CREATE SCHEMA "Mixed Schema")");
        db().execute(R"(CREATE TABLE "Mixed Schema"."select" (id integer PRIMARY KEY, )"
                     R"("we""ird" varchar(80) NOT NULL, "order" integer))");
        db().execute(
            R"(CREATE TABLE "Mixed Schema"."Mixed Case" (id integer PRIMARY KEY, "we""ird" text))");
        db().execute(R"(CREATE INDEX "Mixed ""idx""" ON "Mixed Schema"."Mixed Case" ("we""ird"))");
        db().execute(R"(INSERT INTO "Mixed Schema"."select" SELECT i, 'v' || i, )"
                     R"(CASE WHEN i % 2 = 0 THEN i END FROM generate_series(1, 300) i)");
        db().execute(R"(INSERT INTO "Mixed Schema"."Mixed Case" SELECT i, 'w' || i )"
                     R"(FROM generate_series(1, 300) i)");
        plan = std::string(PGPHASE_SOURCE_DIR) + "/tests/fixtures/plans/hostile_nullability.yaml";
    }
    std::string plan;
};

TEST_F(HostileNullability, RunsItsWholeLifeCycle) {
    for (const char* command : {"start", "backfill", "complete"}) {
        const CommandResult result = pgphase({command, plan});
        ASSERT_EQ(result.exit_code, 0) << command << ": " << result.err;
    }
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Mixed Schema"."select" WHERE "order" IS NULL)"), "0");
    EXPECT_EQ(scalar(R"(SELECT "order" FROM "Mixed Schema"."select" WHERE id = 7)"), "2");
    EXPECT_EQ(scalar(R"(SELECT string_agg(attname || '=' || attnotnull, ',' ORDER BY attnum) )"
                     R"(FROM pg_attribute WHERE attrelid = '"Mixed Schema"."select"'::regclass )"
                     R"(AND attnum > 0)"),
              "id=true,we\"ird=false,order=true");
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Mixed Schema"."Mixed Case" WHERE "we""ird" = )"
                     R"('W' || id)"),
              "300");
    db().execute(R"(INSERT INTO "Mixed Schema"."Mixed Case" (id) VALUES (1000))");
    EXPECT_EQ(scalar(R"(SELECT "we""ird" FROM "Mixed Schema"."Mixed Case" WHERE id = 1000)"),
              "it's");
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM pg_class WHERE relname = 'Mixed "idx"')"), "0");
}

TEST_F(HostileNullability, RollsBackAfterBackfill) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    const CommandResult rollback = pgphase({"rollback", plan});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(scalar(R"(SELECT string_agg(attname || '=' || attnotnull, ',' ORDER BY attnum) )"
                     R"(FROM pg_attribute WHERE attrelid = '"Mixed Schema"."select"'::regclass )"
                     R"(AND attnum > 0)"),
              "id=true,we\"ird=true,order=false");
    EXPECT_EQ(
        scalar(R"(SELECT count(*) FROM pg_constraint WHERE conrelid IN )"
               R"(('"Mixed Schema"."select"'::regclass, '"Mixed Schema"."Mixed Case"'::regclass) )"
               R"(AND contype = 'c')"),
        "0");
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM pg_attrdef WHERE adrelid = )"
                     R"('"Mixed Schema"."Mixed Case"'::regclass)"),
              "0");
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM pg_class WHERE relname = 'Mixed "idx"')"), "1");
}

} // namespace
} // namespace pgphase::testing
