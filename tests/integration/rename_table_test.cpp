// rename_table against a real PostgreSQL: the base table keeps its name until complete (old
// clients work), complete renames it under lock_timeout with every row, rollback leaves it as it
// was, later changes under the new name compose with it, and those under the old name are
// refused before anything runs.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class RenameTable : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL)");
        db().execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users)");
        db().execute("INSERT INTO users (email) SELECT 'u' || i FROM generate_series(1, 100) i");
        plan = write_plan("rename", R"yaml(
name: rename_users
settings: {lock_timeout: 200ms, lock_retries: 1}
changes:
  - rename_table: {from: users, to: customers}
)yaml");
    }
    std::string plan;
};

TEST_F(RenameTable, OldClientsWorkUntilCompleteRenamesTheTableWithEveryRow) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto old_app = connect("old app");
    old_app->execute("INSERT INTO users (email) VALUES ('during')");
    EXPECT_EQ(scalar("SELECT to_regclass('customers') IS NULL"), "t");

    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM customers"), "101");
    EXPECT_EQ(scalar("SELECT to_regclass('users') IS NULL"), "t");
    // The sequence, the key and the foreign key from orders follow the table.
    connect("new app")->execute("INSERT INTO customers (email) VALUES ('after')");
    EXPECT_EQ(scalar("SELECT max(id) FROM customers"), "102");
    EXPECT_EQ(scalar("SELECT confrelid::regclass::text FROM pg_constraint WHERE conname = "
                     "'orders_user_id_fkey'"),
              "customers");
}

TEST_F(RenameTable, CompleteGivesUpOnABusyTableInsteadOfQueueing) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto reader = connect("long reader");
    reader->execute("BEGIN");
    reader->execute("SELECT count(*) FROM users");
    const CommandResult blocked = pgphase({"complete", plan});
    EXPECT_EQ(blocked.exit_code, 4) << blocked.err;
    EXPECT_EQ(scalar("SELECT to_regclass('users') IS NOT NULL"), "t");
    reader->execute("COMMIT");
    EXPECT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT to_regclass('customers') IS NOT NULL"), "t");
}

TEST_F(RenameTable, RollbackLeavesTheTableUnderItsOldName) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("old app")->execute("INSERT INTO users (email) VALUES ('during')");
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "101");
    EXPECT_EQ(scalar("SELECT to_regclass('customers') IS NULL"), "t");
}

TEST_F(RenameTable, RefusesLaterChangesThatNameTheOldNameBeforeRunningAnything) {
    const std::string both = write_plan("both", R"yaml(
name: rename_and_add
changes:
  - rename_table: {from: users, to: customers}
  - add_column: {table: users, column: {name: note, type: text}}
)yaml");
    const CommandResult start = pgphase({"start", both});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find("change 2 (add_column) works on table \"users\", which change 1 "
                             "renames to \"customers\""),
              std::string::npos)
        << start.err;
    EXPECT_EQ(column_names("users"), (std::vector<std::string>{"id", "email"}));
}

// Prisma's table rename: the table, then its constraints and a column under the new name, in
// one migration. Both app versions work during expand, and contract renames everything.
TEST_F(RenameTable, LaterChangesUnderTheNewNameComposeAndBothVersionsWorkDuringExpand) {
    const std::string prisma = write_plan("prisma", R"yaml(
name: users_to_customers
settings: {lock_timeout: 200ms, lock_retries: 1}
changes:
  - rename_table: {from: users, to: customers}
  - rename_constraint: {table: customers, from: users_pkey, to: customers_pkey}
  - rename_column: {table: customers, from: email, to: contact_email}
  - add_column: {table: customers, column: {name: note, type: text}}
  - create_index: {table: customers, name: customers_note_idx, columns: [note]}
)yaml");
    const CommandResult start = pgphase({"start", prisma});
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    auto old_app = connect("old app");
    old_app->execute("INSERT INTO users (email) VALUES ('old@app')");
    auto new_app = connect("new app");
    new_app->execute("SET search_path TO public_users_to_customers");
    new_app->execute("INSERT INTO customers (contact_email, note) VALUES ('new@app', 'hi')");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "102");
    const orchestrator::Rows seen = new_app->query(
        "SELECT contact_email FROM customers WHERE contact_email LIKE '%@app' ORDER BY 1");
    ASSERT_EQ(seen.rows.size(), 2U);
    EXPECT_EQ(seen.text(0, 0), "new@app");
    EXPECT_EQ(seen.text(1, 0), "old@app");
    EXPECT_EQ(scalar("SELECT to_regclass('customers') IS NULL"), "t") << "renamed at contract";

    const CommandResult complete = pgphase({"complete", prisma});
    ASSERT_EQ(complete.exit_code, 0) << complete.out << complete.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM customers"), "102");
    EXPECT_EQ(column_names("customers"), (std::vector<std::string>{"id", "contact_email", "note"}));
    EXPECT_EQ(scalar("SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint "
                     "WHERE conrelid = 'customers'::regclass"),
              "customers_pkey");
    EXPECT_EQ(scalar("SELECT indrelid::regclass::text FROM pg_index "
                     "WHERE indexrelid = 'customers_note_idx'::regclass"),
              "customers");
    EXPECT_EQ(scalar("SELECT confrelid::regclass::text FROM pg_constraint WHERE conname = "
                     "'orders_user_id_fkey'"),
              "customers");
}

} // namespace
} // namespace pgphase::testing
