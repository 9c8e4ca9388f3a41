// drop_index against a real PostgreSQL: the index stays for the old version until complete,
// which drops it concurrently; constraint indexes are refused before anything runs.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class DropIndex : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text, reference text "
                     "CONSTRAINT orders_reference_key UNIQUE)");
        db().execute("CREATE INDEX orders_status_idx ON orders (status)");
        db().execute("INSERT INTO orders SELECT i, 's' || (i % 3), 'r' || i FROM "
                     "generate_series(1, 100) i");
    }
    std::string index_exists(const std::string& name) {
        return scalar("SELECT count(*) FROM pg_class WHERE relname = '" + name + "'");
    }
};

TEST_F(DropIndex, KeepsTheIndexUntilCompleteThenDropsItConcurrently) {
    const std::string plan = write_plan("drop", R"(
name: drop_status_idx
changes:
  - drop_index: {name: orders_status_idx}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    EXPECT_EQ(index_exists("orders_status_idx"), "1");
    connect("old app")->execute("INSERT INTO orders VALUES (1001, 's1', 'x')");
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(index_exists("orders_status_idx"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "101");
    const CommandResult again = pgphase({"complete", plan});
    EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST_F(DropIndex, RollbackBeforeCompleteKeepsTheIndex) {
    const std::string plan = write_plan("drop", R"(
name: drop_status_idx
changes:
  - drop_index: {name: orders_status_idx}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(index_exists("orders_status_idx"), "1");
}

TEST_F(DropIndex, RefusesAnIndexBackingAConstraintAndPointsAtDropConstraint) {
    const std::string plan = write_plan("drop", R"(
name: drop_reference_key
changes:
  - drop_index: {name: orders_reference_key}
)");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find("index \"public\".\"orders_reference_key\" backs a constraint"),
              std::string::npos)
        << start.err;
    EXPECT_NE(start.err.find("drop_constraint: {table: orders, name: orders_reference_key}"),
              std::string::npos)
        << start.err;
    EXPECT_EQ(index_exists("orders_reference_key"), "1");
}

} // namespace
} // namespace pgphase::testing
