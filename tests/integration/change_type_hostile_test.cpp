// change_type with hostile identifiers (keywords, spaces, quotes in schema, table, column,
// index and constraint names) through its whole life cycle: quoting holds in the shadow
// column, the up function, the trigger, the backfill and the rebuilt index and CHECK.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

TEST_F(DatabaseTest, ChangeTypeWithHostileIdentifiersRunsItsWholeLifeCycle) {
    db().execute(R"(CREATE SCHEMA "Mixed Schema")");
    db().execute(R"(CREATE TABLE "Mixed Schema"."select" (id integer PRIMARY KEY, )"
                 R"("we""ird" varchar(80) NOT NULL, "order" integer CONSTRAINT "chk ""o""" )"
                 R"(CHECK ("order" > 0)))");
    db().execute(R"(CREATE INDEX "idx ""q""" ON "Mixed Schema"."select" ("order"))");
    db().execute(
        R"(CREATE TABLE "Mixed Schema"."Mixed Case" (id integer PRIMARY KEY, "we""ird" text))");
    db().execute(R"(INSERT INTO "Mixed Schema"."select" SELECT i, 'v' || i, i )"
                 R"(FROM generate_series(1, 300) i)");
    db().execute(R"(INSERT INTO "Mixed Schema"."Mixed Case" SELECT i, 'a long value ' || i )"
                 R"(FROM generate_series(1, 300) i)");
    const std::string plan =
        std::string(PGPHASE_SOURCE_DIR) + "/tests/fixtures/plans/change_type_hostile.yaml";
    const CommandResult started = pgphase({"start", plan});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    auto old_app = connect("old app");
    old_app->execute(
        R"(INSERT INTO "Mixed Schema"."Mixed Case" VALUES (1001, 'old writer value'))");
    connect("new app")->execute(R"(INSERT INTO "Mixed Schema"."select" (id, "we""ird", )"
                                R"("_pgphase_new_order") VALUES (1002, 'n', 1002))");
    for (const char* command : {"backfill", "complete"}) {
        const CommandResult result = pgphase({command, plan});
        ASSERT_EQ(result.exit_code, 0) << command << ": " << result.err;
    }
    EXPECT_EQ(app_columns(R"("Mixed Schema"."select")"),
              (std::vector<std::string>{"id", "we\"ird", "order"}));
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Mixed Schema"."select" WHERE "order" = id)"), "301");
    EXPECT_EQ(scalar(R"(SELECT pg_typeof("order")::text FROM "Mixed Schema"."select" LIMIT 1)"),
              "bigint");
    EXPECT_EQ(scalar(R"(SELECT pg_get_indexdef('"Mixed Schema"."idx ""q"""'::regclass))"),
              R"(CREATE INDEX "idx ""q""" ON "Mixed Schema"."select" USING btree ("order"))");
    EXPECT_EQ(scalar(R"(SELECT pg_get_constraintdef(oid) FROM pg_constraint )"
                     R"(WHERE conname = 'chk "o"')"),
              R"(CHECK (("order" > 0)))");
    EXPECT_EQ(scalar(R"(SELECT "we""ird" FROM "Mixed Schema"."Mixed Case" WHERE id = 12)"),
              "a long val");
    EXPECT_EQ(scalar(R"(SELECT "we""ird" FROM "Mixed Schema"."Mixed Case" WHERE id = 1001)"),
              "old writer");
}

} // namespace
} // namespace pgphase::testing
