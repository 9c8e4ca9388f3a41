// rename_table: the new version sees the new name during expand; the base table is renamed at
// contract, under lock_timeout, after every other contract step; later changes name it by its
// new name and run on the old one.
#include "tests/unit/planners/ops/table_ops_support.hpp"

namespace pgphase::planners {
namespace {

using testing::has_error;
using testing::plan_with_catalog;
using testing::working_catalog;

TEST(RenameTable, RenamesTheBaseTableOnlyAtContract) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    const Step& step = planned.steps[0];
    EXPECT_EQ(step.phase, Phase::contract);
    EXPECT_TRUE(step.transactional); // under lock_timeout, retried
    EXPECT_EQ(step.lock, LockLevel::access_exclusive);
    EXPECT_EQ(step.sql,
              std::vector<std::string>{R"(ALTER TABLE "public"."orders" RENAME TO "purchases")"});
}

TEST(RenameTable, TheNewVersionSeesTheNewNameAndTheBaseTableKeepsItsOwn) {
    const Catalog working = working_catalog(testing::fixture_catalog(), R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
)yaml");
    const CatalogTable* orders = working.table("public", "orders");
    ASSERT_NE(orders, nullptr);
    EXPECT_EQ(orders->new_version.name, "purchases");
    EXPECT_NE(working.relation("public", "purchases"), nullptr) << "the name is taken now";
}

TEST(RenameTable, RefusesATakenNameAndAnUnknownTable) {
    const PlannedMigration taken = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: users_pkey}
)yaml");
    EXPECT_TRUE(has_error(taken, "relation \"public\".\"users_pkey\" already exists"));
    const PlannedMigration unknown = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: order, to: purchases}
)yaml");
    EXPECT_TRUE(has_error(unknown, "did you mean \"orders\"?"));
}

// Later changes name the table by its new name, as SQL run in order would (Prisma renames a
// table, then its constraints); until contract renames it, the table has its old name.
TEST(RenameTable, LaterChangesByTheNewNameRunOnTheOldOneAndTheRenameComesLastInContract) {
    Catalog catalog = testing::fixture_catalog();
    for (CatalogTable& table : catalog.tables) {
        if (table.name == "orders") {
            table.constraints.push_back({"orders_pkey", 'p', true, {"id"}, "PRIMARY KEY (id)"});
        }
    }
    const PlannedMigration planned = testing::plan_with(catalog, R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
  - rename_constraint: {table: purchases, from: orders_pkey, to: purchases_pkey}
  - add_column: {table: purchases, column: {name: note, type: text}}
  - create_index: {table: purchases, name: purchases_note_idx, columns: [note]}
  - drop_column: {table: purchases, column: legacy_currency}
  - add_column:
      table: users
      column: {name: last_purchase, type: bigint, references: {table: purchases}}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    std::vector<std::string> contract;
    for (const Step& step : planned.steps) {
        for (const std::string& sql : step.sql) {
            EXPECT_EQ(sql.find("\"purchases\""),
                      step.change_index == 0 ? sql.find("\"purchases\"") : std::string::npos)
                << "only the rename names the new name: " << sql;
            if (step.phase == Phase::contract && step.change_index >= 0) {
                contract.push_back(sql);
            }
        }
    }
    ASSERT_FALSE(contract.empty());
    EXPECT_EQ(contract.back(), R"(ALTER TABLE "public"."orders" RENAME TO "purchases")");
    const auto renamed_constraint = std::find(
        contract.begin(), contract.end(),
        R"(ALTER TABLE "public"."orders" RENAME CONSTRAINT "orders_pkey" TO "purchases_pkey")");
    EXPECT_NE(renamed_constraint, contract.end());
}

TEST(RenameTable, RefusesWhatCannotRunOnTheOldNameAfterTheRename) {
    const PlannedMigration old_name = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
  - add_column: {table: orders, column: {name: note, type: text}}
)yaml");
    EXPECT_TRUE(has_error(old_name, "change 2 (add_column) works on table \"orders\", which "
                                    "change 1 renames to \"purchases\""))
        << old_name.diagnostics.to_string();
    EXPECT_TRUE(has_error(old_name, "name it \"purchases\""));

    const PlannedMigration raw = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
  - sql: {up: "UPDATE purchases SET status = 'x' WHERE id = 1"}
)yaml");
    EXPECT_TRUE(has_error(raw, "pgphase cannot re-aim raw SQL at it"))
        << raw.diagnostics.to_string();

    const PlannedMigration dropped = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
  - drop_table: {table: purchases}
)yaml");
    EXPECT_TRUE(has_error(dropped, "drop \"orders\" instead of renaming it"))
        << dropped.diagnostics.to_string();

    const PlannedMigration twice = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_table: {from: orders, to: purchases}
  - rename_table: {from: purchases, to: sales}
)yaml");
    EXPECT_TRUE(has_error(twice, "is already renamed to \"purchases\""))
        << twice.diagnostics.to_string();
}

TEST(RenameTable, EarlierChangesToTheTableComposeWithIt) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - add_column: {table: orders, column: {name: note, type: text}}
  - rename_table: {from: orders, to: purchases}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::planners
