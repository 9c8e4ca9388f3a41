// drop_table against a real PostgreSQL: nothing changes before complete (the old version keeps
// using the table, rollback has nothing to restore), complete drops it, and a table other
// tables' foreign keys reference is refused before anything runs.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class DropTable : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY)");
        db().execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users)");
        db().execute("CREATE TABLE sessions (id bigint PRIMARY KEY, token text)");
        db().execute("INSERT INTO sessions SELECT i, 't' || i FROM generate_series(1, 200) i");
        plan = write_plan("drop", R"yaml(
name: drop_sessions
settings: {lock_timeout: 200ms, lock_retries: 1}
changes:
  - drop_table: {table: sessions}
)yaml");
    }
    std::string plan;
};

TEST_F(DropTable, OldVersionKeepsUsingTheTableUntilCompleteDropsIt) {
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    auto old_app = connect("old app");
    old_app->execute("INSERT INTO sessions VALUES (201, 'old')");
    old_app->execute("UPDATE sessions SET token = 'changed' WHERE id = 1");
    EXPECT_EQ(scalar("SELECT count(*) FROM sessions"), "201");

    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT to_regclass('sessions') IS NULL"), "t");
    EXPECT_THROW(old_app->execute("SELECT 1 FROM sessions"), orchestrator::DatabaseError)
        << "old clients break at contract: that is what contract means";
}

TEST_F(DropTable, RollbackKeepsTheTableWithRowsWrittenMeanwhile) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("old app")->execute("INSERT INTO sessions VALUES (201, 'old')");
    const CommandResult rollback = pgphase({"rollback", plan});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM sessions"), "201");
}

TEST_F(DropTable, CompleteWaitsForItsLockOnlyAsLongAsLockTimeout) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto reader = connect("long reader");
    reader->execute("BEGIN");
    reader->execute("SELECT count(*) FROM sessions");
    const CommandResult blocked = pgphase({"complete", plan});
    EXPECT_EQ(blocked.exit_code, 4) << blocked.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM sessions"), "200");
    reader->execute("COMMIT");
    const CommandResult complete = pgphase({"complete", plan});
    EXPECT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT to_regclass('sessions') IS NULL"), "t");
}

TEST_F(DropTable, RefusesATableReferencedByAForeignKeyNamingIt) {
    const std::string users = write_plan("users", R"yaml(
name: drop_users
changes:
  - drop_table: {table: users}
)yaml");
    const CommandResult start = pgphase({"start", users});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find("table \"users\" is referenced by foreign key "
                             "\"orders_user_id_fkey\" of table \"orders\""),
              std::string::npos)
        << start.err;
    EXPECT_EQ(scalar("SELECT to_regclass('users') IS NOT NULL"), "t");

    const std::string both = write_plan("both", R"yaml(
name: drop_both
changes:
  - drop_table: {table: orders}
  - drop_table: {table: users}
)yaml");
    ASSERT_EQ(pgphase({"start", both}).exit_code, 0);
    const CommandResult complete = pgphase({"complete", both});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT to_regclass('users') IS NULL AND to_regclass('orders') IS NULL"), "t");
}

} // namespace
} // namespace pgphase::testing
