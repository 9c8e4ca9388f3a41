// add_column with unique, check and references against a real PostgreSQL: constraints hold for
// new writes from start, are validated after the backfill and land at complete; duplicates,
// orphans and violating rows stop the backfill with a count and examples by key, and rollback
// then restores the original table with every row.
#include "tests/integration/support.hpp"

namespace pgphase::testing {
namespace {

class AddColumnConstraints : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY)");
        db().execute("INSERT INTO users SELECT generate_series(1, 100)");
        db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, code text)");
        db().execute("INSERT INTO orders SELECT i, i, 'c' || i FROM generate_series(1, 100) i");
    }

    std::string buyer_plan(const std::string& up) {
        return write_plan("buyer", R"yaml(
name: orders_buyer
settings: {backfill: {batch_size: 30}}
changes:
  - add_column:
      table: orders
      column:
        name: buyer_id
        type: bigint
        unique: true
        check: "buyer_id > 0"
        references: {table: users, on_delete: set_null}
      up: )yaml" + up + "\n");
    }
};

TEST_F(AddColumnConstraints, HoldForNewWritesFromStartAndLandAtComplete) {
    const std::string plan = buyer_plan("user_id");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto new_app = connect("new app");
    EXPECT_THROW(new_app->execute("INSERT INTO orders (id, buyer_id) VALUES (500, 999)"),
                 orchestrator::DatabaseError)
        << "foreign key, NOT VALID but enforced for new rows";
    EXPECT_THROW(new_app->execute("INSERT INTO orders (id, buyer_id) VALUES (500, -1)"),
                 orchestrator::DatabaseError)
        << "check, NOT VALID but enforced for new rows";
    connect("old app")->execute("INSERT INTO orders (id, user_id) VALUES (500, NULL)");

    const CommandResult backfill = pgphase({"backfill", plan});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE buyer_id = user_id"), "100");
    EXPECT_EQ(scalar("SELECT bool_and(convalidated) FROM pg_constraint WHERE conrelid = "
                     "'orders'::regclass AND contype IN ('c', 'f')"),
              "t");
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(scalar("SELECT contype FROM pg_constraint WHERE conname = 'orders_buyer_id_key'"),
              "u");
    EXPECT_THROW(new_app->execute("INSERT INTO orders (id, buyer_id) VALUES (501, 1)"),
                 orchestrator::DatabaseError);
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "101");
}

TEST_F(AddColumnConstraints, DuplicatesStopTheUniqueIndexWithCountAndExamples) {
    db().execute("UPDATE orders SET user_id = 7 WHERE id IN (3, 4, 5)");
    const std::string plan = buyer_plan("user_id");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult backfill = pgphase({"backfill", plan});
    EXPECT_EQ(backfill.exit_code, 1) << backfill.err;
    EXPECT_NE(backfill.err.find("SQLSTATE 23505"), std::string::npos) << backfill.err;
    EXPECT_NE(backfill.err.find("4 rows of public.orders violate it"), std::string::npos)
        << backfill.err;
    EXPECT_NE(backfill.err.find("(buyer_id)=(7) appears 4 times"), std::string::npos)
        << backfill.err;
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(column_names("orders"), (std::vector<std::string>{"id", "user_id", "code"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = 'orders_buyer_id_key'"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "100");
}

TEST_F(AddColumnConstraints, AnUpThatBreaksAConstraintStopsTheBackfillNamingTheRow) {
    // NOT VALID constraints already check the backfill's UPDATEs: the first bad batch fails,
    // with PostgreSQL naming the offending key, and nothing of that batch is kept.
    const std::string orphans = buyer_plan("user_id + 98");
    ASSERT_EQ(pgphase({"start", orphans}).exit_code, 0);
    const CommandResult fk = pgphase({"backfill", orphans});
    EXPECT_EQ(fk.exit_code, 1) << fk.err;
    EXPECT_NE(fk.err.find("violates foreign key constraint \"orders_buyer_id_fkey\""),
              std::string::npos)
        << fk.err;
    EXPECT_NE(fk.err.find("Key (buyer_id)=(101) is not present in table \"users\""),
              std::string::npos)
        << fk.err;
    ASSERT_EQ(pgphase({"rollback", orphans}).exit_code, 0);
    EXPECT_EQ(column_names("orders"), (std::vector<std::string>{"id", "user_id", "code"}));

    const std::string negative = buyer_plan("user_id - 10");
    ASSERT_EQ(pgphase({"start", negative}).exit_code, 0);
    const CommandResult check = pgphase({"backfill", negative});
    EXPECT_EQ(check.exit_code, 1) << check.err;
    EXPECT_NE(check.err.find("violates check constraint \"orders_buyer_id_check\""),
              std::string::npos)
        << check.err;
    ASSERT_EQ(pgphase({"rollback", negative}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass"),
              "1");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "100");
}

TEST_F(AddColumnConstraints, RowsThatBreakAConstraintStopValidateWithCountAndExamplesByKey) {
    const std::string plan = write_plan("flags", R"yaml(
name: orders_flags
changes:
  - add_column:
      table: orders
      column: {name: qty, type: int, default: "0", check: "qty <> 0 OR id > 10"}
  - add_column:
      table: orders
      column: {name: buyer_id, type: bigint, default: "0", references: {table: users}}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    const CommandResult check = pgphase({"backfill", plan});
    EXPECT_EQ(check.exit_code, 1) << check.err;
    EXPECT_NE(check.err.find(
                  "10 rows of public.orders violate it, e.g.\n    (id)=(1): (qty, id)=(0, 1)\n"),
              std::string::npos)
        << check.err;
    db().execute("UPDATE orders SET qty = 1");
    const CommandResult fk = pgphase({"backfill", plan});
    EXPECT_EQ(fk.exit_code, 1) << fk.err;
    EXPECT_NE(fk.err.find("100 rows of public.orders violate it, e.g.\n    (id)=(1): "
                          "(buyer_id)=(0)\n"),
              std::string::npos)
        << fk.err;
    db().execute("UPDATE orders SET buyer_id = NULL");
    const CommandResult fixed = pgphase({"backfill", plan});
    EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "100");
}

} // namespace
} // namespace pgphase::testing
