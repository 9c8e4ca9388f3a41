// The table operations with identifiers that need quoting ("select", "Mixed Case", "we""ird"),
// through start and complete against a real PostgreSQL: every name from a plan is quoted.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class TableOpsHostileIdentifiers : public DatabaseTest {};

TEST_F(TableOpsHostileIdentifiers, CreateRenameAndDropColumnsWithNamesThatNeedQuoting) {
    if (IsSkipped()) {
        return;
    }
    db().execute(R"(CREATE TABLE "order" (id bigint PRIMARY KEY, "select" text NOT NULL, )"
                 R"("we""ird" text))");
    db().execute(
        R"(INSERT INTO "order" SELECT i, 's' || i, 'w' || i FROM generate_series(1, 10) i)");
    const std::string plan = write_plan("hostile", R"yaml(
name: hostile_tables
changes:
  - create_table:
      table: Mixed Case
      columns:
        - {name: id, type: bigint, identity: always, primary_key: true}
        - {name: "we\"ird", type: text, unique: true, check: "\"we\"\"ird\" <> ''"}
        - {name: parent, type: bigint, references: {table: Mixed Case}}
        - {name: order_id, type: bigint, references: {table: order, on_delete: cascade}}
  - drop_column: {table: order, column: select, down: "'from ' || \"we\"\"ird\""}
  - rename_table: {from: order, to: "quo\"te"}
)yaml");
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    db().execute(R"(INSERT INTO "order" (id, "we""ird") VALUES (11, 'x'))");
    EXPECT_EQ(scalar(R"(SELECT "select" FROM "order" WHERE id = 11)"), "from x");
    db().execute(R"(INSERT INTO "Mixed Case" ("we""ird", order_id) VALUES ('a', 11))");
    EXPECT_THROW(db().execute(R"(INSERT INTO "Mixed Case" ("we""ird") VALUES (''))"),
                 orchestrator::DatabaseError);
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(app_columns("\"quo\"\"te\""), (std::vector<std::string>{"id", "we\"ird"}));
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "quo""te")"), "11");
    EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Mixed Case")"), "1");
}

} // namespace
} // namespace pgphase::testing
