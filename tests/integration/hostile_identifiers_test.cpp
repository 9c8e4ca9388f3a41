// The hostile-identifier plan (keywords, spaces, quotes in every name) runs its whole life
// cycle on a real PostgreSQL: quoting holds in DDL, triggers and backfill batches.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

TEST_F(DatabaseTest, HostileIdentifierPlanRunsItsWholeLifeCycle) {
    db().execute(R"(CREATE SCHEMA "Mixed Schema")");
    db().execute(
        R"(CREATE TABLE "Mixed Schema"."select" (id integer PRIMARY KEY, "we""ird" varchar(80) NOT NULL, "order" integer))");
    db().execute(
        R"(CREATE TABLE "Mixed Schema"."Mixed Case" (id integer PRIMARY KEY, "we""ird" text))");
    db().execute(
        R"(INSERT INTO "Mixed Schema"."select" SELECT i, 'v' || i, i FROM generate_series(1, 300) i)");
    db().execute(
        R"(INSERT INTO "Mixed Schema"."Mixed Case" SELECT i, 'w' || i FROM generate_series(1, 300) i)");
    const std::string plan =
        std::string(PGPHASE_SOURCE_DIR) + "/tests/fixtures/plans/hostile_identifiers.yaml";
    for (const char* command : {"start", "backfill", "complete"}) {
        const CommandResult result = pgphase({command, plan});
        ASSERT_EQ(result.exit_code, 0) << command << ": " << result.err;
    }
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Mixed Schema"."select" WHERE "from" = 'v' || id)"),
              "300");
    EXPECT_EQ(
        scalar(
            R"(SELECT count(*) FROM "Mixed Schema"."Mixed Case" WHERE "it's" = 'w' || id || 'x')"),
        "300");
    EXPECT_EQ(app_columns(R"("Mixed Schema"."select")"),
              (std::vector<std::string>{"id", "order", "from"}));
    EXPECT_EQ(
        scalar(
            R"(SELECT indisvalid FROM pg_index WHERE indexrelid = '"Mixed Schema"."idx ""q"""'::regclass)"),
        "t");
}

} // namespace
} // namespace pgphase::testing
