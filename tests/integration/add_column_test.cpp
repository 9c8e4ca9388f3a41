// add_column against a real PostgreSQL: old writers get the column filled from `up`, new
// writers' values are kept, existing rows are backfilled, NOT NULL lands at contract.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

const char* currency_plan = R"(
name: orders_currency
settings: {backfill: {batch_size: 50}}
changes:
  - add_column:
      table: orders
      column: {name: currency, type: text, nullable: false, default: "'USD'"}
      up: upper(legacy_currency)
)";

class AddColumn : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, legacy_currency text, total numeric)");
        db().execute(
            "INSERT INTO orders SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'eur' END, i "
            "FROM generate_series(1, 500) i");
        plan = write_plan("currency", currency_plan);
    }
    std::string plan;
};

TEST_F(AddColumn, OldWritersGetUpNewWritersKeepTheirValue) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    old_app->execute("INSERT INTO orders (id, legacy_currency) VALUES (1001, 'gbp')");
    old_app->execute("INSERT INTO orders (id, legacy_currency) VALUES (1002, NULL)");
    new_app->execute(
        "INSERT INTO orders (id, legacy_currency, currency) VALUES (1003, 'gbp', 'CHF')");
    EXPECT_EQ(scalar("SELECT currency FROM orders WHERE id = 1001"), "GBP");
    EXPECT_EQ(scalar("SELECT currency FROM orders WHERE id = 1002"), "USD"); // up NULL -> default
    EXPECT_EQ(scalar("SELECT currency FROM orders WHERE id = 1003"), "CHF");

    // An old writer changing an input of `up` moves the derived column with it...
    old_app->execute("UPDATE orders SET legacy_currency = 'jpy' WHERE id = 1001");
    EXPECT_EQ(scalar("SELECT currency FROM orders WHERE id = 1001"), "JPY");
    // ...an unrelated update leaves a new writer's value alone...
    old_app->execute("UPDATE orders SET total = 1 WHERE id = 1003");
    EXPECT_EQ(scalar("SELECT currency FROM orders WHERE id = 1003"), "CHF");
    // ...and touching a not-yet-backfilled row fills it.
    old_app->execute("UPDATE orders SET total = 2 WHERE id = 7");
    EXPECT_EQ(scalar("SELECT currency FROM orders WHERE id = 7"), "EUR");
}

TEST_F(AddColumn, BackfillFillsEveryRowAndCompleteEnforcesNotNull) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE currency IS NULL"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE currency = 'EUR'"), "450");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE currency = 'USD'"), "50");
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass "
                     "AND attname = 'currency'"),
              "t");
    db().execute("INSERT INTO orders (id) VALUES (2000)");
    EXPECT_EQ(scalar("SELECT currency FROM orders WHERE id = 2000"), "USD");
    EXPECT_THROW(db().execute("INSERT INTO orders (id, currency) VALUES (2001, NULL)"),
                 orchestrator::DatabaseError);
}

TEST_F(AddColumn, RollbackDropsTheColumnAndKeepsEveryRow) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("old app")->execute("INSERT INTO orders (id, legacy_currency) VALUES (1001, 'gbp')");
    ASSERT_EQ(pgphase({"backfill", plan, "--max-batches", "2"}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(column_names("orders"), (std::vector<std::string>{"id", "legacy_currency", "total"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "501");
}

TEST_F(AddColumn, ConstantDefaultNeedsNoBackfillAndNoRewrite) {
    const std::string flag = write_plan("flag", R"(
name: orders_flag
changes:
  - add_column: {table: orders, column: {name: flagged, type: boolean, nullable: false, default: "false"}}
)");
    const std::string before = scalar("SELECT relfilenode FROM pg_class WHERE relname = 'orders'");
    ASSERT_EQ(pgphase({"start", flag}).exit_code, 0);
    // Same relfilenode: PostgreSQL stored the default in the catalog instead of rewriting.
    EXPECT_EQ(scalar("SELECT relfilenode FROM pg_class WHERE relname = 'orders'"), before);
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE NOT flagged"), "500");
    const CommandResult complete = pgphase({"complete", flag});
    EXPECT_EQ(complete.exit_code, 0)
        << "no backfill steps: complete may follow start: " << complete.err;
}

TEST_F(AddColumn, UpYieldingNullForANotNullColumnStopsAtValidateWithTheCount) {
    const std::string strict = write_plan("strict", R"(
name: orders_strict
changes:
  - add_column:
      table: orders
      column: {name: code, type: text, nullable: false}
      up: upper(legacy_currency)
)");
    ASSERT_EQ(pgphase({"start", strict}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", strict});
    EXPECT_EQ(backfill.exit_code, 1) << backfill.err;
    EXPECT_NE(backfill.err.find("check constraint \"orders_code_not_null\""), std::string::npos)
        << backfill.err;
    EXPECT_NE(backfill.err.find("50 rows of public.orders violate it"), std::string::npos)
        << backfill.err;
    const CommandResult complete = pgphase({"complete", strict});
    EXPECT_EQ(complete.exit_code, 3) << complete.err;
    ASSERT_EQ(pgphase({"rollback", strict}).exit_code, 0);
    EXPECT_EQ(column_names("orders"), (std::vector<std::string>{"id", "legacy_currency", "total"}));
}

} // namespace
} // namespace pgphase::testing
