// create_table against a real PostgreSQL: the new table exists from start with its constraints
// enforced, the old app keeps working untouched, rollback drops it, and it composes with later
// changes in the same plan, including a backfill over an empty table (pgroll #636).
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

const char* wallets_plan = R"yaml(
name: create_wallets
changes:
  - create_table:
      table: wallets
      columns:
        - {name: id, type: bigint, identity: always, primary_key: true}
        - {name: user_id, type: bigint, nullable: false, references: {table: users, on_delete: cascade}}
        - {name: currency, type: text, nullable: false, default: "'USD'", check: "currency ~ '^[A-Z]{3}$'"}
        - {name: balance, type: "numeric(12,2)", nullable: false, default: "0"}
      unique: [{columns: [user_id, currency]}]
      checks: [{name: wallets_balance_not_negative, expression: "balance >= 0"}]
)yaml";

class CreateTable : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
        db().execute("INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 100) i");
        plan = write_plan("wallets", wallets_plan);
    }
    std::string plan;
};

TEST_F(CreateTable, NewVersionUsesTheTableFromStartWithEveryConstraintEnforced) {
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    old_app->execute("INSERT INTO users VALUES (101, 'old')"); // the old version is untouched
    new_app->execute("INSERT INTO wallets (user_id) VALUES (101)");
    new_app->execute("INSERT INTO wallets (user_id, currency, balance) VALUES (1, 'EUR', 5)");
    EXPECT_EQ(scalar("SELECT string_agg(id || ':' || currency || ':' || balance, ',' ORDER BY id) "
                     "FROM wallets"),
              "1:USD:0.00,2:EUR:5.00")
        << "identity, defaults";
    // Foreign key, unique, column check, table check, identity ALWAYS.
    EXPECT_THROW(new_app->execute("INSERT INTO wallets (user_id) VALUES (999)"),
                 orchestrator::DatabaseError);
    EXPECT_THROW(new_app->execute("INSERT INTO wallets (user_id, currency) VALUES (1, 'EUR')"),
                 orchestrator::DatabaseError);
    EXPECT_THROW(new_app->execute("INSERT INTO wallets (user_id, currency) VALUES (2, 'euro')"),
                 orchestrator::DatabaseError);
    EXPECT_THROW(new_app->execute("INSERT INTO wallets (user_id, balance) VALUES (3, -1)"),
                 orchestrator::DatabaseError);
    EXPECT_THROW(new_app->execute("INSERT INTO wallets (id, user_id) VALUES (50, 3)"),
                 orchestrator::DatabaseError);
    // ON DELETE CASCADE from the old version's table.
    old_app->execute("DELETE FROM users WHERE id = 101");
    EXPECT_EQ(scalar("SELECT count(*) FROM wallets"), "1");

    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << "nothing to backfill: " << complete.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM wallets"), "1");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'wallets'::regclass"),
              "5");
}

TEST_F(CreateTable, RollbackDropsTheTableAndLeavesTheRestAsItWas) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("old app")->execute("INSERT INTO users VALUES (101, 'old')");
    connect("new app")->execute("INSERT INTO wallets (user_id) VALUES (1)");
    const CommandResult rollback = pgphase({"rollback", plan});
    ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
    EXPECT_EQ(scalar("SELECT to_regclass('wallets') IS NULL"), "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), "101");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE confrelid = 'users'::regclass"),
              "0");
    // And it can be started again.
    EXPECT_EQ(pgphase({"start", plan}).exit_code, 0);
}

TEST_F(CreateTable, RefusesAnExistingNameBeforeDoingAnything) {
    db().execute("CREATE TABLE wallets (id int)");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find("relation \"public\".\"wallets\" already exists"), std::string::npos)
        << start.err;
}

TEST_F(CreateTable, ComposesWithAnAddColumnBackfillOnTheNewEmptyTable) {
    const std::string composed = write_plan("composed", R"yaml(
name: create_then_add
changes:
  - create_table:
      table: notes
      columns:
        - {name: id, type: bigint, identity: by_default, primary_key: true}
        - {name: body, type: text}
  - add_column:
      table: notes
      column: {name: title, type: text, nullable: false, default: "'untitled'"}
      up: left(body, 10)
  - add_column:
      table: users
      column: {name: handle, type: text, nullable: false, unique: true}
      up: "'@' || email"
)yaml");
    db().execute("DELETE FROM users"); // empty tables everywhere (pgroll #636)
    ASSERT_EQ(pgphase({"start", composed}).exit_code, 0);
    connect("new app")->execute("INSERT INTO notes (body) VALUES ('a body longer than ten')");
    connect("old app")->execute("INSERT INTO users VALUES (1, 'x')");
    const CommandResult backfill = pgphase({"backfill", composed});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    const CommandResult complete = pgphase({"complete", composed});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT title FROM notes"), "a body lon");
    EXPECT_EQ(scalar("SELECT handle FROM users"), "@x");
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'notes'::regclass "
                     "AND attname = 'title'"),
              "t");
    EXPECT_EQ(scalar("SELECT contype FROM pg_constraint WHERE conname = 'users_handle_key'"), "u");
}

} // namespace
} // namespace pgphase::testing
