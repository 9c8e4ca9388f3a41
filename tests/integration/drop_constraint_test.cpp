// drop_constraint against a real PostgreSQL: nothing changes at start (the old app version
// keeps its constraint), the constraint goes at complete, rollback before that keeps it.
#include "tests/integration/constraint_support.hpp"

namespace pgphase::testing {
namespace {

class DropConstraint : public OrdersWithConstraints {};

TEST_F(DropConstraint, DropKeepsTheCheckUntilCompleteThenDropsIt) {
    const std::string plan = write_plan("drop", R"yaml(
name: drop_total_check
changes:
  - drop_constraint: {table: orders, name: orders_total_check}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    auto old_app = connect("old app");
    auto new_app = connect("new app");
    // Both versions still meet the check during expand, and see each other's rows.
    old_app->execute("INSERT INTO orders VALUES (1001, 'x1', 1)");
    new_app->execute("INSERT INTO orders VALUES (1002, 'x2', 2)");
    EXPECT_EQ(old_app->query("SELECT count(*) FROM orders WHERE id > 1000").text(0, 0), "2");
    EXPECT_EQ(sqlstate_of(*new_app, "INSERT INTO orders VALUES (1003, 'x3', -1)"), "23514");
    const CommandResult complete = pgphase({"complete", plan});
    ASSERT_EQ(complete.exit_code, 0) << complete.err;
    EXPECT_EQ(constraints(), "orders_pkey,orders_reference_key");
    EXPECT_EQ(sqlstate_of(*new_app, "INSERT INTO orders VALUES (1003, 'x3', -1)"), "ok");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "53");
}

TEST_F(DropConstraint, DropOfAUniqueConstraintTakesItsIndexAtComplete) {
    const std::string plan = write_plan("drop", R"yaml(
name: drop_reference_key
changes:
  - drop_constraint: {table: orders, name: orders_reference_key}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1001, 'r1', 1)"), "23505");
    ASSERT_EQ(pgphase({"complete", plan}).exit_code, 0);
    EXPECT_EQ(scalar("SELECT to_regclass('orders_reference_key') IS NULL"), "t");
    EXPECT_EQ(sqlstate_of(db(), "INSERT INTO orders VALUES (1001, 'r1', 1)"), "ok");
}

TEST_F(DropConstraint, RollbackBeforeCompleteKeepsTheConstraint) {
    const std::string plan = write_plan("drop", R"yaml(
name: drop_total_check
changes:
  - drop_constraint: {table: orders, name: orders_total_check}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    ASSERT_EQ(pgphase({"rollback", plan}).exit_code, 0);
    EXPECT_EQ(constraints(), "orders_pkey,orders_reference_key,orders_total_check");
}

TEST_F(DropConstraint, AnUnknownConstraintIsRefusedWithASuggestion) {
    const std::string plan = write_plan("drop", R"yaml(
name: drop_typo
changes:
  - drop_constraint: {table: orders, name: orders_totl_check}
)yaml");
    const CommandResult start = pgphase({"start", plan});
    EXPECT_EQ(start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find(R"(constraint "orders_totl_check" of table "orders" does not exist)"),
              std::string::npos)
        << start.err;
    EXPECT_NE(start.err.find(R"(did you mean "orders_total_check"?)"), std::string::npos)
        << start.err;
}

} // namespace
} // namespace pgphase::testing
