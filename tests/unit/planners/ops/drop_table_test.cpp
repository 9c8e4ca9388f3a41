// drop_table: hidden from the new version at expand, dropped at contract; refused while other
// tables' foreign keys point at it.
#include "planners/ops/table_constraints.hpp"
#include "tests/unit/planners/ops/table_ops_support.hpp"

namespace pgphase::planners {
namespace {

using testing::catalog_with_foreign_key;
using testing::has_error;
using testing::plan_with;
using testing::plan_with_catalog;
using testing::working_catalog;

TEST(DropTable, RunsNothingBeforeContractAndDropsTheTableThere) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_table: {table: orders}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    EXPECT_EQ(planned.steps[0].phase, Phase::contract);
    EXPECT_EQ(planned.steps[0].lock, LockLevel::access_exclusive);
    EXPECT_EQ(planned.steps[0].sql,
              std::vector<std::string>{R"(SELECT "pgphase"."keep_table"('"public"."orders"', )"
                                       R"('_pgphase_dropped_02bfa264_orders', 'pgphase_dropped', )"
                                       R"('a', 1, '7 days'))"});
}

TEST(DropTable, HidesTheTableFromTheNewVersion) {
    const Catalog working = working_catalog(testing::fixture_catalog(), R"yaml(
name: a
changes:
  - drop_table: {table: orders}
)yaml");
    EXPECT_TRUE(working.table("public", "orders")->new_version.dropped);
    EXPECT_FALSE(working.table("public", "users")->new_version.dropped);
}

TEST(DropTable, RefusesATableOtherTablesForeignKeysReference) {
    const PlannedMigration planned = plan_with(catalog_with_foreign_key(), R"yaml(
name: a
changes:
  - drop_table: {table: users}
)yaml");
    ASSERT_TRUE(has_error(planned, "table \"users\" is referenced by foreign key "
                                   "\"accounts_user_id_fkey\" of table \"accounts\""))
        << planned.diagnostics.to_string();
    EXPECT_TRUE(has_error(planned, "drop that constraint (or table \"accounts\")"));
}

TEST(DropTable, AllowsItWhenTheReferencingTableIsDroppedEarlierInThePlan) {
    const PlannedMigration planned = plan_with(catalog_with_foreign_key(), R"yaml(
name: a
changes:
  - drop_table: {table: accounts}
  - drop_table: {table: events}
  - drop_table: {table: users}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 3U);
    EXPECT_EQ(contract[0]->sql.at(0),
              R"(SELECT "pgphase"."keep_table"('"public"."accounts"', )"
              R"('_pgphase_dropped_e7d3e075_accounts', 'pgphase_dropped', 'a', 1, '7 days'))");
    EXPECT_EQ(contract[2]->sql.at(0),
              R"(SELECT "pgphase"."keep_table"('"public"."users"', )"
              R"('_pgphase_dropped_f38b8499_users', 'pgphase_dropped', 'a', 3, '7 days'))");
}

TEST(DropTable, ADroppingTablesOwnForeignKeyIsNoObstacle) {
    const PlannedMigration planned = plan_with(catalog_with_foreign_key(), R"yaml(
name: a
changes:
  - drop_table: {table: accounts}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

TEST(DropTable, SeesForeignKeysOfTablesCreatedEarlierInThePlan) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - create_table:
      table: wallets
      columns: [{name: user_id, type: bigint, references: {table: users}}]
  - drop_table: {table: users}
)yaml");
    EXPECT_TRUE(has_error(planned, "foreign key \"wallets_user_id_fkey\" of table \"wallets\""));
}

TEST(DropTable, SaysWhichReferencedTablesItsContractLocksToo) {
    const PlannedMigration planned = plan_with(catalog_with_foreign_key(), R"yaml(
name: a
changes:
  - drop_table: {table: accounts}
)yaml");
    EXPECT_EQ(planned.steps.at(0).summary,
              "drop table accounts (also ACCESS EXCLUSIVE, briefly, on users) (kept 7d as a "
              "tombstone)");
}

TEST(DropTable, RefusesLaterChangesToTheDroppedTable) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_table: {table: orders}
  - add_column: {table: orders, column: {name: note, type: text}}
)yaml");
    EXPECT_TRUE(has_error(planned, "change 2 (add_column) works on table \"orders\", which "
                                   "change 1 drops"))
        << planned.diagnostics.to_string();
}

TEST(DropTable, ReportsAnUnknownTableWithASuggestion) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_table: {table: order}
)yaml");
    EXPECT_TRUE(has_error(planned, "table \"public\".\"order\" does not exist"));
    EXPECT_TRUE(has_error(planned, "did you mean \"orders\"?"));
}

TEST(ForeignKeyDefinition, NamesTheReferencedTableQuotedOrNot) {
    EXPECT_EQ(referenced_table("FOREIGN KEY (a) REFERENCES users(id)"),
              std::make_pair(std::string(), std::string("users")));
    EXPECT_EQ(referenced_table(R"(FOREIGN KEY (a) REFERENCES "My ""S"".x"."T y"(id))"),
              std::make_pair(std::string("My \"S\".x"), std::string("T y")));
    EXPECT_EQ(referenced_table("CHECK ((a > 0))"), std::nullopt);
}

} // namespace
} // namespace pgphase::planners
