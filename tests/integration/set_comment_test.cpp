// set_comment against a real PostgreSQL: during expand the new version's view shows the new
// comment while the base table keeps the old one for the old version; complete makes it final
// on the base table (null removes it); rollback leaves the base table as it was.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class SetComment : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY, email text, name text)");
        db().execute("COMMENT ON TABLE users IS 'people'");
        db().execute("COMMENT ON COLUMN users.email IS 'old email comment'");
        db().execute("COMMENT ON COLUMN users.name IS 'display name'");
        plan_ = write_plan("comment", R"(
name: comment_users
changes:
  - set_comment: {table: users, column: email, comment: "login; it's unique"}
  - set_comment: {table: users, comment: "accounts"}
  - set_comment: {table: users, column: name, comment: null}
)");
    }
    // What psql's \d+ shows: the comment of a column of a relation in a schema, "" for none.
    std::string column_comment(const std::string& schema, const std::string& relation,
                               const std::string& column) {
        return scalar("SELECT col_description(c.oid, a.attnum) FROM pg_class c "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "JOIN pg_attribute a ON a.attrelid = c.oid WHERE n.nspname = '" +
                      schema + "' AND c.relname = '" + relation + "' AND a.attname = '" + column +
                      "'");
    }
    std::string relation_comment(const std::string& schema, const std::string& relation) {
        return scalar("SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" +
                      schema + "' AND c.relname = '" + relation + "'");
    }
    std::string plan_;
};

TEST_F(SetComment, TheNewVersionSeesItDuringExpandAndCompleteMakesItFinal) {
    const CommandResult start = pgphase({"start", plan_});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    // The old version reads the base table: its comments are untouched until complete.
    EXPECT_EQ(column_comment("public", "users", "email"), "old email comment");
    EXPECT_EQ(column_comment("public", "users", "name"), "display name");
    EXPECT_EQ(relation_comment("public", "users"), "people");
    // The new version's view shows the new ones (and no comment for the removed one).
    EXPECT_EQ(column_comment("public_comment_users", "users", "email"), "login; it's unique");
    EXPECT_EQ(column_comment("public_comment_users", "users", "name"), "");
    EXPECT_EQ(relation_comment("public_comment_users", "users"), "accounts");

    const CommandResult complete = pgphase({"complete", plan_});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(column_comment("public", "users", "email"), "login; it's unique");
    EXPECT_EQ(column_comment("public", "users", "name"), "");
    EXPECT_EQ(relation_comment("public", "users"), "accounts");
    EXPECT_EQ(column_comment("public", "users", "id"), "");
}

TEST_F(SetComment, RollbackLeavesTheBaseTableAsItWas) {
    ASSERT_EQ(pgphase({"start", plan_}).exit_code, 0);
    const CommandResult rollback = pgphase({"rollback", plan_});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(column_comment("public", "users", "email"), "old email comment");
    EXPECT_EQ(column_comment("public", "users", "name"), "display name");
    EXPECT_EQ(relation_comment("public", "users"), "people");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_comment_users'"),
              "0");
}

TEST_F(SetComment, RefusesAnUnknownColumnBeforeAnythingRuns) {
    const std::string plan = write_plan("typo", R"(
name: comment_typo
changes:
  - set_comment: {table: users, column: emial, comment: x}
)");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find(R"(column "users"."emial" (set comment) does not exist)"),
              std::string::npos)
        << start.err;
    EXPECT_NE(start.err.find(R"(did you mean "email"?)"), std::string::npos) << start.err;
    EXPECT_EQ(column_comment("public", "users", "email"), "old email comment");
}

} // namespace
} // namespace pgphase::testing
