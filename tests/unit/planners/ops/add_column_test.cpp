// add_column: never a rewrite or a scan under ACCESS EXCLUSIVE, whatever the form.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::plan_with_catalog;

TEST(AddColumn, ConstantDefaultIsOneInstantStatementWithNothingToBackfill) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: a
changes:
  - add_column: {table: orders, column: {name: flag, type: boolean, nullable: false, default: "false"}}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    EXPECT_EQ(
        planned.steps[0].sql,
        std::vector<std::string>{
            R"(ALTER TABLE "public"."orders" ADD COLUMN "flag" boolean DEFAULT false NOT NULL)"});
    EXPECT_EQ(
        planned.steps[0].undo,
        std::vector<std::string>{R"(ALTER TABLE "public"."orders" DROP COLUMN IF EXISTS "flag")"});
}

TEST(AddColumn, VolatileDefaultIsSetForNewRowsAndBackfilledForOldOnes) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: a
changes:
  - add_column: {table: orders, column: {name: public_id, type: uuid, default: gen_random_uuid()}}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 1U);
    EXPECT_EQ(expand[0]->sql.at(0), R"(ALTER TABLE "public"."orders" ADD COLUMN "public_id" uuid)");
    EXPECT_EQ(
        expand[0]->sql.at(1),
        R"(ALTER TABLE "public"."orders" ALTER COLUMN "public_id" SET DEFAULT gen_random_uuid())");
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 1U);
    EXPECT_EQ(backfill[0]->backfill->set.at(0).expression, "(gen_random_uuid())");
    EXPECT_TRUE(planned.phase_steps(Phase::contract).empty());
}

TEST(AddColumn, NotNullWithUpGoesThroughNotValidCheckValidateAndSetNotNull) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: a
changes:
  - add_column:
      table: orders
      column: {name: currency, type: text, nullable: false, default: "'USD'"}
      up: upper(legacy_currency)
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step& expand = *planned.phase_steps(Phase::expand).at(0);
    EXPECT_EQ(expand.sql.at(0), R"(ALTER TABLE "public"."orders" ADD COLUMN "currency" text)");
    EXPECT_TRUE(any_contains(expand.sql, R"(CHECK ("currency" IS NOT NULL) NOT VALID)"));
    // Old writers never send currency: the trigger computes it from up, falling back to default.
    EXPECT_TRUE(any_contains(expand.sql, R"(COALESCE((upper(legacy_currency)), ('USD')))"));
    EXPECT_TRUE(any_contains(
        expand.sql, R"(NEW."legacy_currency"::text IS DISTINCT FROM OLD."legacy_currency"::text)"));

    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 2U);
    EXPECT_EQ(backfill[0]->backfill->pending_predicate,
              R"("currency" IS NULL AND COALESCE((upper(legacy_currency)), ('USD')) IS NOT NULL)");
    EXPECT_TRUE(any_contains(backfill[1]->sql, "VALIDATE CONSTRAINT"));

    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 1U);
    EXPECT_TRUE(any_contains(contract[0]->sql, R"(ALTER COLUMN "currency" SET DEFAULT 'USD')"));
    EXPECT_TRUE(any_contains(contract[0]->sql, R"(ALTER COLUMN "currency" SET NOT NULL)"));
    EXPECT_TRUE(
        any_contains(contract[0]->sql, R"(DROP CONSTRAINT IF EXISTS "orders_currency_not_null")"));
}

TEST(AddColumn, ReportsExistingColumnAndUnknownInputsOfUp) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: a
changes:
  - add_column: {table: orders, column: {name: status, type: text}}
  - add_column: {table: orders, column: {name: c, type: text}, up: upper(legacy_curency)}
)");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "orders"."status" already exists)");
    EXPECT_EQ(all[1].message, R"(column "orders"."legacy_curency" (read by up) does not exist)");
    EXPECT_EQ(all[1].hint, R"(did you mean "legacy_currency"?)");
}

} // namespace
} // namespace pgphase::planners
