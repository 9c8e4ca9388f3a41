// drop_column against a real PostgreSQL: during expand old clients still read and write the
// column and rows the new version writes get it from `down`; complete drops it with every row;
// rollback keeps the column and every row; a NOT NULL column without default or `down` is
// refused with a hint.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class DropColumn : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL, "
                     "reference text, total numeric)");
        db().execute("INSERT INTO orders SELECT i, 'shipped', 'r' || i, i "
                     "FROM generate_series(1, 300) i");
        plan = write_plan("drop", R"yaml(
name: drop_status
changes:
  - drop_column:
      table: orders
      column: status
      down: "CASE WHEN reference IS NULL THEN 'draft' ELSE 'open' END"
)yaml");
    }
    std::string plan;
};

TEST_F(DropColumn, NewVersionWritesGetTheColumnFromDownOldWritesKeepTheirs) {
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    new_app->execute("INSERT INTO orders (id, reference) VALUES (1001, 'x')");
    new_app->execute("INSERT INTO orders (id) VALUES (1002)");
    old_app->execute("INSERT INTO orders (id, status, reference) VALUES (1003, 'paid', 'y')");
    EXPECT_EQ(old_app
                  ->query("SELECT string_agg(status, ',' ORDER BY id) FROM orders "
                          "WHERE id > 1000")
                  .text(0, 0),
              "open,draft,paid");
    // A new-version update of an input of `down` moves the column with it...
    new_app->execute("UPDATE orders SET reference = NULL WHERE id = 1001");
    EXPECT_EQ(scalar("SELECT status FROM orders WHERE id = 1001"), "draft");
    // ...an unrelated one leaves existing values alone...
    new_app->execute("UPDATE orders SET total = 0 WHERE id = 1");
    EXPECT_EQ(scalar("SELECT status FROM orders WHERE id = 1"), "shipped");
    // ...and an old-version write of the column itself wins.
    old_app->execute("UPDATE orders SET status = 'lost', reference = NULL WHERE id = 2");
    EXPECT_EQ(scalar("SELECT status FROM orders WHERE id = 2"), "lost");

    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(app_columns("orders"), (std::vector<std::string>{"id", "reference", "total"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "303");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'orders'::regclass "
                     "AND NOT tgisinternal "
                     "AND tgname NOT LIKE '\\_pgphase\\_written\\_%'"),
              "0");
}

TEST_F(DropColumn, RollbackKeepsTheColumnAndEveryRowWrittenMeanwhile) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("new app")->execute("INSERT INTO orders (id, reference) VALUES (1001, 'x')");
    connect("old app")->execute("INSERT INTO orders (id, status) VALUES (1002, 'paid')");
    const CommandResult rollback = pgphase({"rollback", plan});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(column_names("orders"),
              (std::vector<std::string>{"id", "status", "reference", "total"}));
    EXPECT_EQ(scalar("SELECT string_agg(status, ',' ORDER BY id) FROM orders WHERE id > 1000"),
              "open,paid");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "302");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'orders'::regclass "
                     "AND NOT tgisinternal "
                     "AND tgname NOT LIKE '\\_pgphase\\_written\\_%'"),
              "0");
    // After rollback, NOT NULL is back in force for the new version's writes.
    EXPECT_THROW(connect("new app")->execute("INSERT INTO orders (id) VALUES (1003)"),
                 orchestrator::DatabaseError);
}

TEST_F(DropColumn, RefusesANotNullColumnWithoutDefaultOrDownWithAHint) {
    const std::string bare = write_plan("bare", R"yaml(
name: drop_status_bare
changes:
  - drop_column: {table: orders, column: status}
)yaml");
    const CommandResult start = pgphase({"start", bare});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find("column \"orders\".\"status\" is NOT NULL without a default, and no "
                             "\"down\" is given"),
              std::string::npos)
        << start.err;
    EXPECT_NE(start.err.find("hint: until contract the old app version still reads the column"),
              std::string::npos)
        << start.err;

    const std::string nullable = write_plan("nullable", R"yaml(
name: drop_reference
changes:
  - drop_column: {table: orders, column: reference}
)yaml");
    ASSERT_EQ(pgphase({"start", nullable}).exit_code, 0);
    connect("new app")->execute("INSERT INTO orders (id, status) VALUES (1001, 'new')");
    ASSERT_EQ(pgphase({"complete", nullable}).exit_code, 0);
    EXPECT_EQ(app_columns("orders"), (std::vector<std::string>{"id", "status", "total"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "301");
}

} // namespace
} // namespace pgphase::testing
