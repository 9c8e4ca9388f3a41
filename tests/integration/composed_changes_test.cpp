// Several changes on one table in one plan, against a real PostgreSQL: each backfill's writes
// skip only its own change's trigger, so a rename's backfill still fills the NOT NULL column
// another change adds, and its NOT VALID check never sees a half-filled row.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

const char* composed_plan = R"yaml(
name: users_rework
settings:
  lock_timeout: 1s
  backfill: {batch_size: 100, max_batch_size: 100}
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - add_column:
      table: users
      column: {name: domain, type: text, nullable: false}
      up: "split_part(email, '@', 2)"
)yaml";

class ComposedChanges : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL)");
        db().execute("INSERT INTO users (email) SELECT 'user' || i || '@host' || (i % 7) || "
                     "'.example' FROM generate_series(1, 1000) i");
    }
};

TEST_F(ComposedChanges, TwoBackfillsOnOneTableFillEachOthersColumns) {
    const std::string plan = write_plan("composed", composed_plan);
    const CommandResult started = pgphase({"start", plan});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    auto old_app = connect("old app");
    old_app->execute("INSERT INTO users (email) VALUES ('late@late.example')");

    const CommandResult backfilled = pgphase({"backfill", plan});
    ASSERT_EQ(backfilled.exit_code, 0) << backfilled.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email OR "
                     "domain IS DISTINCT FROM split_part(email, '@', 2)"),
              "0");

    const CommandResult completed = pgphase({"complete", plan});
    ASSERT_EQ(completed.exit_code, 0) << completed.err;
    EXPECT_EQ(app_columns("users"), (std::vector<std::string>{"id", "email_address", "domain"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE domain = 'late.example'"), "1");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "1001");
}

// PostgreSQL fires a table's BEFORE triggers in name order. With ten or more changes, the
// triggers of changes 10 and 9 must still fire in plan order: here change 10 (set_not_null with
// an up) only fills what change 9's trigger (the new column's up) left NULL.
TEST_F(ComposedChanges, TenChangesOnOneTableFireTheirTriggersInPlanOrder) {
    std::string yaml = "name: many_changes\nchanges:\n";
    for (int i = 1; i <= 8; ++i) {
        yaml += "  - add_column: {table: users, column: {name: extra" + std::to_string(i) +
                ", type: text}}\n";
    }
    yaml += "  - add_column: {table: users, column: {name: domain, type: text}, "
            "up: \"split_part(email, '@', 2)\"}\n"
            "  - set_not_null: {table: users, column: domain, up: \"'unknown'\"}\n";
    const std::string plan = write_plan("many", yaml);
    const CommandResult started = pgphase({"start", plan});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    connect("old app")->execute("INSERT INTO users (email) VALUES ('late@late.example')");
    EXPECT_EQ(scalar("SELECT domain FROM users WHERE email = 'late@late.example'"), "late.example");

    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE domain IS DISTINCT FROM "
                     "split_part(email, '@', 2)"),
              "0");
}

} // namespace
} // namespace pgphase::testing
