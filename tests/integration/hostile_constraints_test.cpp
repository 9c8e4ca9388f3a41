// The hostile-identifier constraint plan (keywords, spaces, quotes in table, column, constraint
// and index names) runs its whole life cycle on a real PostgreSQL, including the violation
// queries that describe offending rows.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class HostileConstraints : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute(R"(CREATE SCHEMA "Mixed Schema")");
        db().execute(
            R"(CREATE TABLE "Mixed Schema"."select" (id integer PRIMARY KEY, "we""ird" varchar(80) NOT NULL, "order" integer))");
        db().execute(
            R"(CREATE TABLE "Mixed Schema"."Mixed Case" (id integer PRIMARY KEY, "we""ird" text))");
        db().execute(
            R"(INSERT INTO "Mixed Schema"."select" SELECT i, 'v' || i, CASE WHEN i % 10 = 0 THEN -i ELSE i END FROM generate_series(1, 300) i)");
        db().execute(
            R"(INSERT INTO "Mixed Schema"."Mixed Case" SELECT i, 'w' || i FROM generate_series(1, 300) i)");
    }
    const std::string plan =
        std::string(PGPHASE_SOURCE_DIR) + "/tests/fixtures/plans/hostile_constraints.yaml";
};

TEST_F(HostileConstraints, PlanRunsItsWholeLifeCycle) {
    for (const char* command : {"start", "backfill", "complete"}) {
        const CommandResult result = pgphase({command, plan});
        ASSERT_EQ(result.exit_code, 0) << command << ": " << result.err;
    }
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Mixed Schema"."select" WHERE "order" < 0)"), "0");
    EXPECT_EQ(
        scalar(R"(SELECT string_agg(conname || ':' || contype::text || ':' || convalidated, ',' )"
               R"(ORDER BY conname) FROM pg_constraint WHERE connamespace = )"
               R"('"Mixed Schema"'::regnamespace)"),
        R"(Mixed Case_pkey:p:true,Order Check:c:true,select_pkey:p:true,select_we"ird_key:u:true)");
    EXPECT_EQ(scalar(R"(SELECT to_regclass('"Mixed Schema"."Mixed Case_id_idx"') IS NOT NULL)"),
              "t");
}

TEST_F(HostileConstraints, ViolationsAreDescribedThroughQuotedNames) {
    db().execute(R"(UPDATE "Mixed Schema"."select" SET "we""ird" = 'same' WHERE id IN (4, 5))");
    db().execute(R"(INSERT INTO "Mixed Schema"."Mixed Case" VALUES (999, 'orphan'))");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 1) << start.err;
    EXPECT_NE(start.err.find(R"((we"ird)=(same) is held by 2 rows: (id)=(4), (id)=(5))"),
              std::string::npos)
        << start.err;
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM pg_constraint WHERE connamespace = )"
                     R"('"Mixed Schema"'::regnamespace)"),
              "2");
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Mixed Schema"."select" WHERE "order" < 0)"), "30");
}

} // namespace
} // namespace pgphase::testing
