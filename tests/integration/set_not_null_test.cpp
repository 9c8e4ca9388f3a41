// set_not_null against a real PostgreSQL: with `up`, old-version writes that leave the column
// NULL are fixed during expand and existing NULLs by the backfill; without it, VALIDATE stops
// with the count and the keys of the NULL rows; empty tables work; changes on one column
// compose; rollback restores the original with every row.
#include "tests/integration/support.hpp"
#include "tests/support/doc_blocks.hpp"

namespace pgphase::testing {
namespace {

class SetNotNull : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, reference text, total int)");
        // Every 10th row has no reference: 30 of 300.
        db().execute("INSERT INTO orders SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'r' || i "
                     "END, i FROM generate_series(1, 300) i");
        with_up = write_plan("with_up", R"(
name: reference_not_null
settings: {backfill: {batch_size: 50}}
changes:
  - set_not_null: {table: orders, column: reference, up: "'legacy-' || id"}
)");
        without_up = write_plan("without_up", R"(
name: reference_strict
changes:
  - set_not_null: {table: orders, column: reference}
)");
    }

    std::string not_null() {
        return scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass "
                      "AND attname = 'reference'");
    }
    std::string leftovers() {
        return scalar("SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = "
                      "'orders'::regclass AND contype = 'c') + (SELECT count(*) FROM pg_trigger "
                      "WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal)");
    }

    std::string with_up;
    std::string without_up;
};

TEST_F(SetNotNull, WithUpOldWritersLeavingItNullGetUpAndNewWritersKeepTheirValue) {
    ASSERT_EQ(pgphase({"start", with_up}).exit_code, 0);
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    old_app->execute("INSERT INTO orders (id, total) VALUES (1001, 1)");
    new_app->execute("INSERT INTO orders (id, reference) VALUES (1002, 'new')");
    EXPECT_EQ(scalar("SELECT reference FROM orders WHERE id = 1001"), "legacy-1001");
    EXPECT_EQ(scalar("SELECT reference FROM orders WHERE id = 1002"), "new");
    // An old-version update of a row the backfill has not reached fixes it instead of failing
    // the NOT VALID check.
    old_app->execute("UPDATE orders SET total = 0 WHERE id = 10");
    EXPECT_EQ(scalar("SELECT reference FROM orders WHERE id = 10"), "legacy-10");
    // Each sees the other's rows.
    EXPECT_EQ(new_app->query("SELECT count(*) FROM orders WHERE id IN (1001, 1002)").text(0, 0),
              "2");
    EXPECT_EQ(old_app->query("SELECT reference FROM orders WHERE id = 1002").text(0, 0), "new");
    EXPECT_EQ(not_null(), "f");
}

TEST_F(SetNotNull, WithUpBackfillFixesEveryNullAndCompleteLeavesOnlyNotNull) {
    ASSERT_EQ(pgphase({"start", with_up}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", with_up});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE reference IS NULL"), "0");
    EXPECT_EQ(scalar("SELECT reference FROM orders WHERE id = 20"), "legacy-20");
    EXPECT_EQ(scalar("SELECT reference FROM orders WHERE id = 21"), "r21"); // untouched
    const CommandResult verify = pgphase({"verify", with_up});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

    ASSERT_EQ(pgphase({"complete", with_up}).exit_code, 0);
    EXPECT_EQ(not_null(), "t");
    EXPECT_EQ(leftovers(), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "300");
    EXPECT_THROW(db().execute("INSERT INTO orders (id) VALUES (2000)"),
                 orchestrator::DatabaseError);
}

TEST_F(SetNotNull, RollbackAfterBackfillRemovesCheckAndTriggerAndKeepsRowsWrittenMeanwhile) {
    ASSERT_EQ(pgphase({"start", with_up}).exit_code, 0);
    connect("old app")->execute("INSERT INTO orders (id) VALUES (1001)");
    connect("new app")->execute("INSERT INTO orders (id, reference) VALUES (1002, 'n')");
    ASSERT_EQ(pgphase({"backfill", with_up, "--max-batches", "2"}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", with_up}).exit_code, 0);
    EXPECT_EQ(leftovers(), "0");
    EXPECT_EQ(not_null(), "f");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "302");
    // NULLs are allowed again.
    db().execute("INSERT INTO orders (id) VALUES (1003)");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE reference IS NULL AND id = 1003"), "1");
}

TEST_F(SetNotNull, WithoutUpExistingNullsStopValidateWithTheirCountAndKeys) {
    ASSERT_EQ(pgphase({"start", without_up}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", without_up});
    EXPECT_EQ(backfill.exit_code, 1) << backfill.err;
    EXPECT_NE(backfill.err.find("check constraint \"orders_reference_not_null\""),
              std::string::npos)
        << backfill.err;
    EXPECT_NE(backfill.err.find("30 rows of public.orders violate it, e.g.\n    (id)=(10)\n    "
                                "(id)=(20)\n    (id)=(30)\n    (id)=(40)\n    (id)=(50)"),
              std::string::npos)
        << backfill.err;
    EXPECT_TRUE(
        holds_doc_output(backfill.err, doc_block("docs/operations.md", "set-not-null-validate")));
    const CommandResult complete = pgphase({"complete", without_up});
    EXPECT_EQ(complete.exit_code, 3) << complete.err;

    // Fixing the rows and rerunning finishes the job.
    db().execute("UPDATE orders SET reference = 'fixed' WHERE reference IS NULL");
    ASSERT_EQ(pgphase({"backfill", without_up}).exit_code, 0);
    ASSERT_EQ(pgphase({"complete", without_up}).exit_code, 0);
    EXPECT_EQ(not_null(), "t");
    EXPECT_EQ(leftovers(), "0");
}

TEST_F(SetNotNull, ValidateRunsWhileAWriterHoldsItsTransactionOpen) {
    db().execute("UPDATE orders SET reference = 'fixed' WHERE reference IS NULL");
    const std::string strict = write_plan("strict", R"(
name: reference_strict_busy
settings: {lock_timeout: 200ms, lock_retries: 0}
changes:
  - set_not_null: {table: orders, column: reference}
)");
    ASSERT_EQ(pgphase({"start", strict}).exit_code, 0);
    auto writer = connect("old app");
    writer->execute("BEGIN");
    writer->execute("INSERT INTO orders (id, reference) VALUES (1001, 'w')");
    // VALIDATE takes SHARE UPDATE EXCLUSIVE, which the writer's ROW EXCLUSIVE does not block:
    // it finishes within a 200ms lock timeout while the transaction stays open.
    const CommandResult backfill = pgphase({"backfill", strict});
    EXPECT_EQ(backfill.exit_code, 0) << backfill.err;
    writer->execute("COMMIT");
    EXPECT_EQ(scalar("SELECT convalidated FROM pg_constraint WHERE conname = "
                     "'orders_reference_not_null'"),
              "t");
}

TEST_F(SetNotNull, WithoutUpRollbackAfterAFailedValidateRestoresTheOriginal) {
    ASSERT_EQ(pgphase({"start", without_up}).exit_code, 0);
    EXPECT_EQ(pgphase({"backfill", without_up}).exit_code, 1);
    ASSERT_EQ(pgphase({"rollback", without_up}).exit_code, 0);
    EXPECT_EQ(leftovers(), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE reference IS NULL"), "30");
}

TEST_F(SetNotNull, WorksOnAnEmptyTable) {
    db().execute("CREATE TABLE empty (id bigint PRIMARY KEY, note text)");
    const std::string plan = write_plan("empty", R"(
name: empty_not_null
changes:
  - set_not_null: {table: empty, column: note, up: "'none'"}
)");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'empty'::regclass "
                     "AND attname = 'note'"),
              "t");
}

TEST_F(SetNotNull, ComposesWithAddColumnAndSetDefaultOnTheSameColumnsInOnePlan) {
    const std::string plan = write_plan("compose", R"(
name: compose_same_column
changes:
  - add_column: {table: orders, column: {name: channel, type: text}}
  - set_not_null: {table: orders, column: channel, up: "'web'"}
  - set_default: {table: orders, column: reference, default: "'unknown'"}
  - set_not_null: {table: orders, column: reference, up: "'legacy-' || id"}
)");
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    auto old_app = connect("old app");
    // The old version knows neither channel nor the new default: both are filled for it.
    old_app->execute("INSERT INTO orders (id, total) VALUES (1001, 1)");
    EXPECT_EQ(scalar("SELECT channel || ' ' || reference FROM orders WHERE id = 1001"),
              "web unknown");
    connect("new app")->execute(
        "INSERT INTO orders (id, channel, reference) VALUES (1002, 'app', 'n')");
    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
                     "attname IN ('channel', 'reference') AND attnotnull"),
              "2");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE channel = 'web'"), "301");
    EXPECT_EQ(scalar("SELECT reference FROM orders WHERE id = 30"), "legacy-30");
    EXPECT_EQ(leftovers(), "0");
    db().execute("INSERT INTO orders (id, channel) VALUES (2000, 'x')");
    EXPECT_EQ(scalar("SELECT reference FROM orders WHERE id = 2000"), "unknown");
}

} // namespace
} // namespace pgphase::testing
