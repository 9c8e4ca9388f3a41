// add_check against a real PostgreSQL: NOT VALID at start (old and new writers go on), VALIDATE
// in backfill, existing violators reported by key, `up` fixing violating rows and writes, and
// rollback dropping everything without losing a row.
#include "tests/integration/constraint_support.hpp"

namespace pgphase::testing {
namespace {

class AddCheck : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, price numeric, qty int)");
        // Every 50th price is negative: ids 50, 100, 150, 200.
        db().execute("INSERT INTO orders SELECT i, CASE WHEN i % 50 = 0 THEN -i ELSE i END, 1 "
                     "FROM generate_series(1, 200) i");
        strict = write_plan("strict", R"yaml(
name: orders_price_check
changes:
  - add_check: {table: orders, name: orders_price_positive, check: "price >= 0"}
)yaml");
        fixing = write_plan("fixing", R"yaml(
name: orders_price_fixed
settings: {backfill: {batch_size: 30}}
changes:
  - add_check: {table: orders, name: orders_price_positive, check: "price >= 0", up: "abs(price)"}
)yaml");
    }

    std::string constraint_state() { return constraint_validity(db(), "orders_price_positive"); }

    std::string strict;
    std::string fixing;
};

TEST_F(AddCheck, ExistingViolatorsFailValidateWithCountAndKeysThenRollbackKeepsEveryRow) {
    ASSERT_EQ(pgphase({"start", strict}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "false");
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    // NOT VALID checks new writes only: both versions write valid rows and see each other's.
    old_app->execute("INSERT INTO orders VALUES (1001, 5, 1)");
    new_app->execute("INSERT INTO orders VALUES (1002, 6, 1)");
    EXPECT_EQ(old_app->query("SELECT count(*) FROM orders WHERE id > 1000").text(0, 0), "2");
    EXPECT_EQ(new_app->query("SELECT count(*) FROM orders WHERE id > 1000").text(0, 0), "2");
    EXPECT_EQ(sqlstate_of(*old_app, "INSERT INTO orders VALUES (1003, -1, 1)"), "23514");

    const CommandResult backfill = pgphase({"backfill", strict});
    EXPECT_EQ(backfill.exit_code, 1) << backfill.err;
    EXPECT_NE(backfill.err.find("4 rows of public.orders violate it, e.g."), std::string::npos)
        << backfill.err;
    EXPECT_NE(backfill.err.find("(id)=(50): (price)=(-50)"), std::string::npos) << backfill.err;
    EXPECT_NE(backfill.err.find("(id)=(200): (price)=(-200)"), std::string::npos) << backfill.err;
    EXPECT_EQ(pgphase({"complete", strict}).exit_code, 3);

    ASSERT_EQ(pgphase({"rollback", strict}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "absent");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "202");
    EXPECT_EQ(sqlstate_of(*old_app, "INSERT INTO orders VALUES (1003, -1, 1)"), "ok");
}

TEST_F(AddCheck, ValidDataValidatesInBackfillAndCompleteKeepsTheCheck) {
    db().execute("UPDATE orders SET price = abs(price)");
    ASSERT_EQ(pgphase({"start", strict}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", strict});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(constraint_state(), "true");
    ASSERT_EQ(pgphase({"complete", strict}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "true");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "200");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1003, -1, 1)"), "23514");
}

TEST_F(AddCheck, UpFixesOldWritesAndExistingRowsThenCompleteEnforces) {
    ASSERT_EQ(pgphase({"start", fixing}).exit_code, 0);
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    // An old-version writer that does not know the rule keeps working: its value is fixed.
    old_app->execute("INSERT INTO orders VALUES (1001, -7, 1)");
    EXPECT_EQ(scalar("SELECT price FROM orders WHERE id = 1001"), "7");
    // Touching a not-yet-fixed row (an unrelated column) fixes it instead of failing.
    old_app->execute("UPDATE orders SET qty = 2 WHERE id = 50");
    EXPECT_EQ(scalar("SELECT price || '/' || qty FROM orders WHERE id = 50"), "50/2");
    new_app->execute("INSERT INTO orders VALUES (1002, 3, 1)");
    EXPECT_EQ(old_app->query("SELECT price FROM orders WHERE id = 1002").text(0, 0), "3");
    EXPECT_EQ(new_app->query("SELECT price FROM orders WHERE id = 1001").text(0, 0), "7");

    // verify counts only the rows `up` has still to fix (100, 150, 200), not valid ones.
    const CommandResult before = pgphase({"verify", fixing});
    EXPECT_EQ(before.exit_code, 1) << before.err;
    EXPECT_NE(before.out.find("public.orders: 202 rows checked, 3 mismatches"), std::string::npos)
        << before.out;

    const CommandResult backfill = pgphase({"backfill", fixing});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE price < 0"), "0");
    EXPECT_EQ(pgphase({"verify", fixing}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT price FROM orders WHERE id = 200"), "200");
    EXPECT_EQ(scalar("SELECT price FROM orders WHERE id = 7"), "7") << "valid rows untouched";
    EXPECT_EQ(constraint_state(), "true");

    ASSERT_EQ(pgphase({"complete", fixing}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT "
                     "tgisinternal"),
              "0");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1003, -1, 1)"), "23514");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "202");
}

TEST_F(AddCheck, RollbackAfterAPartialFixDropsCheckAndTriggerAndKeepsEveryRow) {
    ASSERT_EQ(pgphase({"start", fixing}).exit_code, 0);
    connect("old app")->execute("INSERT INTO orders VALUES (1001, -7, 1)");
    ASSERT_EQ(pgphase({"backfill", fixing, "--max-batches", "2"}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", fixing}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "absent");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT "
                     "tgisinternal"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "201");
    // Rows `up` did not reach keep their value; the old version may write any value again.
    EXPECT_EQ(scalar("SELECT price FROM orders WHERE id = 200"), "-200");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1003, -1, 1)"), "ok");
}

TEST_F(AddCheck, ValidateRunsWhileAWriterHoldsItsTransactionOpen) {
    db().execute("UPDATE orders SET price = abs(price)");
    // Fails fast (exit 4) if VALIDATE had to wait for the writer.
    const std::string impatient = write_plan("impatient", R"yaml(
name: orders_price_check
settings: {lock_timeout: 200ms, lock_retries: 0}
changes:
  - add_check: {table: orders, name: orders_price_positive, check: "price >= 0"}
)yaml");
    ASSERT_EQ(pgphase({"start", impatient}).exit_code, 0);
    auto writer = connect("writer");
    writer->execute("BEGIN");
    writer->execute("INSERT INTO orders VALUES (1001, 1, 1)"); // ROW EXCLUSIVE until COMMIT
    // VALIDATE takes SHARE UPDATE EXCLUSIVE, which does not conflict with writers.
    const CommandResult backfill = pgphase({"backfill", impatient});
    writer->execute("COMMIT");
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(constraint_state(), "true");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "201");
}

TEST_F(AddCheck, WorksOnAnEmptyTable) {
    db().execute("TRUNCATE orders");
    ASSERT_EQ(pgphase({"start", fixing}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", fixing});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    ASSERT_EQ(pgphase({"complete", fixing}).exit_code, 0);
    EXPECT_EQ(constraint_state(), "true");
}

} // namespace
} // namespace pgphase::testing
