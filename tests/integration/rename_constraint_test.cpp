// rename_constraint against a real PostgreSQL: the old name stays until complete (an old app
// version's ON CONFLICT ON CONSTRAINT keeps working), rollback before that keeps it.
#include "tests/integration/constraint_support.hpp"

namespace pgphase::testing {
namespace {

class RenameConstraint : public OrdersWithConstraints {};

TEST_F(RenameConstraint, RenameKeepsTheOldNameUntilCompleteAndRenamesAUniqueIndexWithIt) {
    const std::string plan = write_plan("rename", R"yaml(
name: rename_constraints
changes:
  - rename_constraint: {table: orders, from: orders_total_check, to: orders_total_positive}
  - rename_constraint: {table: orders, from: orders_reference_key, to: orders_reference_unique}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    EXPECT_EQ(constraints(), "orders_pkey,orders_reference_key,orders_total_check");
    // An old version's ON CONFLICT ON CONSTRAINT keeps working during expand.
    connect("old app")->execute(
        "INSERT INTO orders VALUES (1001, 'r1', 1) ON CONFLICT ON CONSTRAINT "
        "orders_reference_key DO NOTHING");
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(constraints(), "orders_pkey,orders_reference_unique,orders_total_positive");
    EXPECT_EQ(scalar("SELECT to_regclass('orders_reference_unique') IS NOT NULL"), "t");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1002, 'r1', 1) ON CONFLICT ON "
                                "CONSTRAINT orders_reference_unique DO NOTHING"),
              "ok");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "50");
}

TEST_F(RenameConstraint, RenameRollbackBeforeCompleteKeepsTheOldName) {
    const std::string plan = write_plan("rename", R"yaml(
name: rename_check
changes:
  - rename_constraint: {table: orders, from: orders_total_check, to: orders_total_positive}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(constraints(), "orders_pkey,orders_reference_key,orders_total_check");
}

TEST_F(RenameConstraint, RenameToATakenNameIsRefused) {
    const std::string plan = write_plan("rename", R"yaml(
name: rename_taken
changes:
  - rename_constraint: {table: orders, from: orders_total_check, to: orders_reference_key}
)yaml");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(
        start.err.find(R"(constraint "orders_reference_key" of table "orders" already exists)"),
        std::string::npos)
        << start.err;
}

} // namespace
} // namespace pgphase::testing
