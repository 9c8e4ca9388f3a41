// drop_column: hidden from the new version at expand, filled from `down` for new-version writes
// by a trigger that looks at what the write changed, dropped at contract.
#include "tests/unit/planners/ops/table_ops_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::catalog_with_foreign_key;
using testing::has_error;
using testing::plan_with;
using testing::plan_with_catalog;
using testing::working_catalog;

TEST(DropColumn, WithDownInstallsAFillTriggerAtExpandAndDropsBothAtContract) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: status, down: "'open'"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 1U);
    EXPECT_EQ(expand[0]->lock, LockLevel::share_row_exclusive);
    EXPECT_TRUE(any_contains(expand[0]->sql, R"(IF NEW."status" IS NULL THEN)"));
    EXPECT_TRUE(any_contains(expand[0]->sql, "BEFORE INSERT OR UPDATE ON \"public\".\"orders\""));
    EXPECT_FALSE(any_contains(expand[0]->sql, "search_path()")) << "never decides by search_path";
    EXPECT_EQ(expand[0]->undo.at(0),
              R"(DROP TRIGGER IF EXISTS "pgphase_a_1" ON "public"."orders")");
    EXPECT_TRUE(planned.phase_steps(Phase::backfill).empty()) << "existing rows keep their value";
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 1U);
    EXPECT_EQ(contract[0]->lock, LockLevel::access_exclusive);
    EXPECT_EQ(contract[0]->sql.back(),
              R"(SELECT "pgphase"."keep_column"('"public"."orders"', 'status', )"
              R"('_pgphase_dropped_728cbb30_status', '_pgphase_written_728cbb30', 'a', 1, )"
              R"('7 days'))");
    EXPECT_TRUE(any_contains(contract[0]->sql, "DROP TRIGGER IF EXISTS"));
}

TEST(DropColumn, KeepDroppedZeroDropsAtContractAndAnotherTimeIsWrittenAsAnInterval) {
    const PlannedMigration dropped = plan_with_catalog(R"yaml(
name: a
settings: {keep_dropped: 0}
changes:
  - drop_column: {table: orders, column: status, down: "'open'"}
)yaml");
    ASSERT_FALSE(dropped.diagnostics.has_errors()) << dropped.diagnostics.to_string();
    EXPECT_EQ(dropped.phase_steps(Phase::contract).at(0)->sql.back(),
              R"(ALTER TABLE "public"."orders" DROP COLUMN IF EXISTS "status")");
    const PlannedMigration kept = plan_with_catalog(R"yaml(
name: a
settings: {keep_dropped: 36h}
changes:
  - drop_column: {table: orders, column: status, down: "'open'"}
)yaml");
    ASSERT_FALSE(kept.diagnostics.has_errors()) << kept.diagnostics.to_string();
    EXPECT_TRUE(kept.phase_steps(Phase::contract).at(0)->sql.back().ends_with(", '36 hours')"))
        << kept.phase_steps(Phase::contract).at(0)->sql.back();
}

TEST(DropColumn, RecomputesOnUpdateOnlyWhenTheWriteLeftTheColumnAloneAndChangedAnInput) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: status, down: "CASE WHEN reference IS NULL THEN 'draft' ELSE 'open' END"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_TRUE(
        any_contains(planned.steps[0].sql,
                     R"(ELSIF NOT (NEW."status"::text IS DISTINCT FROM OLD."status"::text) AND )"
                     R"((NEW."reference"::text IS DISTINCT FROM OLD."reference"::text) THEN)"));
}

TEST(DropColumn, ANullableColumnNeedsNoDownAndNoExpandStep) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: legacy_currency}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    EXPECT_EQ(planned.steps[0].phase, Phase::contract);
    EXPECT_EQ(planned.steps[0].sql.size(), 1U);
}

TEST(DropColumn, RefusesANotNullColumnWithoutDefaultOrDownWithAHint) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: status}
)yaml");
    EXPECT_TRUE(has_error(planned, "column \"orders\".\"status\" is NOT NULL without a default, "
                                   "and no \"down\" is given"));
    EXPECT_TRUE(has_error(planned, "give \"down\", an expression over the remaining columns"));
}

TEST(DropColumn, ANotNullColumnWithADefaultNeedsNoDown) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: created_at}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

TEST(DropColumn, HidesTheColumnFromTheNewVersion) {
    const Catalog working = working_catalog(testing::fixture_catalog(), R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: status, down: "'open'"}
)yaml");
    EXPECT_EQ(working.table("public", "orders")->new_version.hidden_columns,
              std::vector<std::string>{"status"});
}

TEST(DropColumn, RefusesKeyColumnsReferencedColumnsAndUnknownInputs) {
    const PlannedMigration key = plan_with(catalog_with_foreign_key(), R"yaml(
name: a
changes:
  - drop_column: {table: users, column: id}
)yaml");
    EXPECT_TRUE(has_error(key, "is part of the primary key"));
    EXPECT_TRUE(has_error(key, "is referenced by foreign key \"accounts_user_id_fkey\""));
    const PlannedMigration inputs = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: status, down: "upper(refrence)"
}
)yaml");
    EXPECT_TRUE(has_error(inputs, "column \"orders\".\"refrence\" (read by down) does not exist"));
    EXPECT_TRUE(has_error(inputs, "did you mean \"reference\"?"));
}

TEST(DropColumn, WarnsAboutMultiColumnIndexesAndConstraintsThatGoWithIt) {
    Catalog catalog = testing::fixture_catalog();
    for (auto& table : catalog.tables) {
        if (table.name == "orders") {
            table.indexes.push_back(
                {"orders_status_ref_idx", false, false, true, {"status", "reference"}, ""});
            table.constraints.push_back(
                {"orders_status_ref_check", 'c', true, {"status", "reference"}, ""});
        }
    }
    const PlannedMigration planned = plan_with(catalog, R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: reference}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const std::string text = planned.diagnostics.to_string();
    EXPECT_NE(text.find("warning: index \"orders_status_ref_idx\" also covers other columns"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("warning: constraint \"orders_status_ref_check\" also covers other "
                        "columns and is dropped with column \"orders\".\"reference\" at contract"),
              std::string::npos)
        << text;
}

TEST(DropColumn, RefusesDroppingTheSameColumnTwice) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: note_a_column}
)yaml");
    EXPECT_TRUE(has_error(planned, "(dropped) does not exist"));
    const PlannedMigration twice = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: reference}
  - drop_column: {table: orders, column: reference}
)yaml");
    EXPECT_TRUE(has_error(twice, "is already changed by drop_column at test.yaml:4"));
}

} // namespace
} // namespace pgphase::planners
