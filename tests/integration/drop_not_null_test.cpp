// drop_not_null against a real PostgreSQL: NULLs are allowed from start; rollback restores
// NOT NULL only when no NULL was written, and otherwise fails naming the rows, then succeeds
// once they are fixed.
#include "tests/integration/support.hpp"
#include "tests/support/doc_blocks.hpp"

namespace pgphase::testing {
namespace {

class DropNotNull : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL)");
        db().execute("INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 200) i");
        plan = write_plan("optional", R"(
name: email_optional
changes:
  - drop_not_null: {table: users, column: email}
)");
    }
    std::string not_null() {
        return scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass "
                      "AND attname = 'email'");
    }
    std::string checks() {
        return scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'users'::regclass "
                      "AND contype = 'c'");
    }
    std::string plan;
};

TEST_F(DropNotNull, NewWritersMayWriteNullFromStartAndCompleteKeepsItThatWay) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("new app")->execute("INSERT INTO users (id) VALUES (1001)");
    connect("old app")->execute("INSERT INTO users (id, email) VALUES (1002, 'old')");
    EXPECT_EQ(not_null(), "f");
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(not_null(), "f");
    EXPECT_EQ(checks(), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "202");
}

TEST_F(DropNotNull, RollbackWithoutNullsRestoresNotNullAndKeepsRowsWrittenMeanwhile) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("new app")->execute("INSERT INTO users (id, email) VALUES (1001, 'n')");
    const CommandResult rollback = pgphase({"rollback", plan});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(not_null(), "t");
    EXPECT_EQ(checks(), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "201");
}

TEST_F(DropNotNull, RollbackAfterNullsWereWrittenFailsNamingTheRowsThenSucceedsOnceFixed) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto new_app = connect("new app");
    new_app->execute("INSERT INTO users (id) VALUES (1001)");
    new_app->execute("UPDATE users SET email = NULL WHERE id = 7");
    const CommandResult refused = pgphase({"rollback", plan});
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_NE(refused.err.find("check constraint \"users_email_not_null\""), std::string::npos)
        << refused.err;
    EXPECT_NE(
        refused.err.find("2 rows of public.users violate it, e.g.\n    (id)=(7)\n    (id)=(1001)"),
        std::string::npos)
        << refused.err;
    EXPECT_TRUE(
        holds_doc_output(refused.err, doc_block("docs/operations.md", "drop-not-null-undo")));
    // Nothing was silently restored, and no new NULL gets in meanwhile.
    EXPECT_EQ(not_null(), "f");
    EXPECT_THROW(new_app->execute("INSERT INTO users (id) VALUES (1002)"),
                 orchestrator::DatabaseError);

    db().execute("UPDATE users SET email = 'fixed' WHERE email IS NULL");
    const CommandResult rollback = pgphase({"rollback", plan});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(not_null(), "t");
    EXPECT_EQ(checks(), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "201");
}

} // namespace
} // namespace pgphase::testing
