// The sql operation against a real PostgreSQL: `up` runs in its phase, `down` on rollback;
// without `down` rollback stops with a clear error; a parse error is reported at the plan's
// line:column before anything runs; `transactional: false` runs CONCURRENTLY statements.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class RawSql : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, reference text)");
        db().execute("INSERT INTO orders SELECT i, 'r' || i FROM generate_series(1, 50) i");
    }
    std::string relation_exists(const std::string& name) {
        return scalar("SELECT count(*) FROM pg_class WHERE relname = '" + name + "'");
    }
};

TEST_F(RawSql, UpRunsAtStartAndDownOnRollback) {
    const std::string plan = write_plan("audit", R"yaml(
name: audit_table
changes:
  - sql:
      up: |
        CREATE TABLE audit (id bigint PRIMARY KEY, note text);
        INSERT INTO audit VALUES (1, 'created');
      down: DROP TABLE audit
)yaml");
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    EXPECT_EQ(scalar("SELECT note FROM audit WHERE id = 1"), "created");
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(relation_exists("audit"), "0");
}

TEST_F(RawSql, WithoutDownRollbackStopsClearlyAndUndoesNothingSilently) {
    const std::string plan = write_plan("audit", R"yaml(
name: audit_no_down
changes:
  - add_column: {table: orders, column: {name: flag, type: boolean}}
  - sql: {up: "CREATE TABLE audit (id bigint PRIMARY KEY)"}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult rollback = pgphase({"rollback", plan});
    EXPECT_EQ(rollback.exit_code, 1) << rollback.err;
    EXPECT_NE(rollback.err.find("change 2 (sql) has no \"down\", so it cannot be undone"),
              std::string::npos)
        << rollback.err;
    EXPECT_EQ(relation_exists("audit"), "1");
    // The earlier change was not undone behind the user's back either.
    EXPECT_EQ(column_names("orders"), (std::vector<std::string>{"id", "reference", "flag"}));
}

TEST_F(RawSql, AParseErrorIsReportedAtThePlansLineAndColumnAndNothingRuns) {
    const std::string plan = write_plan("bad", R"yaml(name: bad_sql
changes:
  - sql:
      up: |
        CREATE TABLE audit (id bigint PRIMARY KEY);
        ALTER TABLE audit ADD COLUMN note txt DEFALT 'x';
)yaml");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find(plan + ":6:47: error: invalid SQL in \"up\": syntax error at or near "
                                    "\"DEFALT\""),
              std::string::npos)
        << start.err;
    EXPECT_EQ(relation_exists("audit"), "0");
}

TEST_F(RawSql, NonTransactionalRunsConcurrentIndexBuildsBothWays) {
    const std::string plan = write_plan("index", R"yaml(
name: reference_index
changes:
  - sql:
      up: CREATE INDEX CONCURRENTLY orders_reference_idx ON orders (reference)
      down: DROP INDEX CONCURRENTLY IF EXISTS orders_reference_idx
      transactional: false
)yaml");
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    EXPECT_EQ(relation_exists("orders_reference_idx"), "1");
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(relation_exists("orders_reference_idx"), "0");
}

TEST_F(RawSql, LintFindingsAreShownAsWarningsWhenPlanning) {
    const std::string plan = write_plan("lint", R"yaml(name: lint_sql
changes:
  - sql:
      up: CREATE INDEX orders_reference_idx ON orders (reference)
      down: DROP INDEX orders_reference_idx
)yaml");
    const CommandResult planned = pgphase({"plan", plan});
    EXPECT_EQ(planned.exit_code, 0) << planned.err;
    EXPECT_NE((planned.out + planned.err).find(plan + ":4:11: warning: sql up:"), std::string::npos)
        << planned.out << planned.err;
    EXPECT_NE((planned.out + planned.err).find("[lint create-index-non-concurrent]"),
              std::string::npos)
        << planned.out << planned.err;
}

} // namespace
} // namespace pgphase::testing
