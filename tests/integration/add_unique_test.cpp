// add_unique against a real PostgreSQL: a unique index built concurrently at start (enforced
// from then on), attached as the constraint at complete; duplicates reported with their
// values, counts and keys; rollback drops the index without losing a row.
#include "tests/integration/constraint_support.hpp"
#include "tests/support/doc_blocks.hpp"

namespace pgphase::testing {
namespace {

class AddUnique : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, reference text, total int)");
        db().execute("INSERT INTO orders SELECT i, CASE WHEN i % 25 = 0 THEN NULL ELSE 'r' || i "
                     "END, i FROM generate_series(1, 100) i");
        plan = write_plan("unique", R"yaml(
name: orders_reference_unique
changes:
  - add_unique: {table: orders, columns: [reference]}
)yaml");
    }

    std::string index_state() { return index_validity(db(), "orders_reference_key"); }
    std::string constraint_type() {
        return scalar("SELECT coalesce((SELECT contype::text FROM pg_constraint WHERE conname = "
                      "'orders_reference_key'), 'absent')");
    }

    std::string plan;
};

TEST_F(AddUnique, EnforcedFromStartAndAttachedAsConstraintAtComplete) {
    const CommandResult start = pgphase({"start", plan});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    EXPECT_EQ(index_state(), "true");
    EXPECT_EQ(constraint_type(), "absent");
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    old_app->execute("INSERT INTO orders VALUES (1001, 'x1', 1)");
    new_app->execute("INSERT INTO orders VALUES (1002, 'x2', 1)");
    old_app->execute("INSERT INTO orders VALUES (1003, NULL, 1)"); // NULLs stay distinct
    EXPECT_EQ(new_app->query("SELECT count(*) FROM orders WHERE id > 1000").text(0, 0), "3");
    EXPECT_EQ(sqlstate_of(*old_app, "INSERT INTO orders VALUES (1004, 'x2', 1)"), "23505");

    ASSERT_EQ(pgphase({"backfill", plan}).exit_code, 0);
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(constraint_type(), "u");
    EXPECT_EQ(index_state(), "true");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "103");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1004, 'r1', 1)"), "23505");
}

TEST_F(AddUnique, DuplicatesFailStartWithValuesCountsAndKeysAndARerunAfterTheFixSucceeds) {
    db().execute("UPDATE orders SET reference = 'dup' WHERE id IN (3, 4, 5)");
    db().execute("UPDATE orders SET reference = 'twice' WHERE id IN (7, 8)");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 1) << start.err;
    EXPECT_TRUE(holds_doc_output(start.err, doc_block("docs/operations.md", "unique-duplicates")));
    EXPECT_EQ(index_state(), "false") << "the failed build leaves an INVALID index";

    db().execute("UPDATE orders SET reference = 'r' || id WHERE id IN (3, 4, 5, 7, 8)");
    const CommandResult again = pgphase({"start", plan});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(index_state(), "true");
}

TEST_F(AddUnique, RollbackAfterAFailedBuildDropsTheInvalidIndex) {
    db().execute("UPDATE orders SET reference = 'dup' WHERE id IN (3, 4)");
    EXPECT_EQ(pgphase({"start", plan}).exit_code, 1);
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(index_state(), "absent");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "100");
}

TEST_F(AddUnique, RollbackAfterStartDropsTheIndexAndKeepsRowsWrittenMeanwhile) {
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    connect("old app")->execute("INSERT INTO orders VALUES (1001, 'x1', 1)");
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(index_state(), "absent");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "101");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1002, 'x1', 1)"), "ok");
}

TEST_F(AddUnique, WorksOnAnEmptyTable) {
    db().execute("TRUNCATE orders");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(constraint_type(), "u");
}

} // namespace
} // namespace pgphase::testing
