// set_default and drop_default against a real PostgreSQL: the new default applies from start
// and rollback restores the old one; a dropped default stays until complete.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class Defaults : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT "
                     "'new', note text)");
        db().execute("INSERT INTO orders (id) SELECT generate_series(1, 100)");
    }
    std::string default_of(const std::string& column) {
        return scalar("SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN "
                      "pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE "
                      "d.adrelid = 'orders'::regclass AND a.attname = '" +
                      column + "'");
    }
};

TEST_F(Defaults, SetDefaultAppliesFromStartKeepsRowsAndRollbackRestoresTheOldDefault) {
    const std::string plan = write_plan("set", R"(
name: status_default
changes:
  - set_default: {table: orders, column: status, default: "'pending'"}
  - set_default: {table: orders, column: note, default: "''"}
)");
    const std::string before = scalar("SELECT relfilenode FROM pg_class WHERE relname = 'orders'");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT relfilenode FROM pg_class WHERE relname = 'orders'"), before);
    connect("old app")->execute("INSERT INTO orders (id) VALUES (1001)");
    connect("new app")->execute("INSERT INTO orders (id, note) VALUES (1002, 'n')");
    EXPECT_EQ(scalar("SELECT status || '/' || note FROM orders WHERE id = 1001"), "pending/");
    EXPECT_EQ(scalar("SELECT status FROM orders WHERE id = 1002"), "pending");
    // Existing rows keep their values.
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE status = 'new'"), "100");

    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(default_of("status"), "'new'::text");
    EXPECT_EQ(default_of("note"), "");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "102");
}

TEST_F(Defaults, SetDefaultCompletesWithTheNewDefault) {
    const std::string plan = write_plan("set", R"(
name: status_default
changes:
  - set_default: {table: orders, column: status, default: "'pending'"}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(default_of("status"), "'pending'::text");
}

TEST_F(Defaults, DropDefaultKeepsItForOldWritersUntilCompleteAndRollbackKeepsIt) {
    const std::string plan = write_plan("drop", R"(
name: status_no_default
changes:
  - drop_default: {table: orders, column: status}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    // The old version still inserts without a status.
    connect("old app")->execute("INSERT INTO orders (id) VALUES (1001)");
    EXPECT_EQ(scalar("SELECT status FROM orders WHERE id = 1001"), "new");
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(default_of("status"), "");
    EXPECT_THROW(db().execute("INSERT INTO orders (id) VALUES (1002)"),
                 orchestrator::DatabaseError);
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "101");
}

TEST_F(Defaults, DropDefaultRolledBackBeforeCompleteChangesNothing) {
    const std::string plan = write_plan("drop", R"(
name: status_no_default
changes:
  - drop_default: {table: orders, column: status}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(default_of("status"), "'new'::text");
}

} // namespace
} // namespace pgphase::testing
