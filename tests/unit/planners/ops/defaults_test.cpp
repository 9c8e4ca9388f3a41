// set_default at expand (undo restores the old default), drop_default at contract.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(SetDefault, SetsAtExpandAndUndoRestoresThePreviousDefault) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_default: {table: users, column: email, default: "'nobody'"}
  - set_default: {table: users, column: name, default: "'anonymous'"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 2U);
    EXPECT_EQ(planned.steps[0].phase, Phase::expand);
    EXPECT_EQ(planned.steps[0].lock, LockLevel::access_exclusive);
    EXPECT_EQ(planned.steps[0].sql,
              std::vector<std::string>{
                  R"(ALTER TABLE "public"."users" ALTER COLUMN "email" SET DEFAULT 'nobody')"});
    EXPECT_EQ(planned.steps[0].undo,
              std::vector<std::string>{
                  R"(ALTER TABLE "public"."users" ALTER COLUMN "email" SET DEFAULT 'none'::text)"});
    // No default before: undo drops it.
    EXPECT_EQ(planned.steps[1].undo,
              std::vector<std::string>{
                  R"(ALTER TABLE "public"."users" ALTER COLUMN "name" DROP DEFAULT)"});
}

TEST(SetDefault, RefusesIdentityColumnsAndDefaultsReadingColumns) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_default: {table: orders, column: id, default: "1"}
)yaml");
    ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.diagnostics.all()[0].message,
              R"(column "orders"."id" is an identity column)");

    const LoadResult loaded = load_plan_text(R"yaml(name: a
changes:
  - set_default: {table: users, column: name, default: "upper(email)"
}
)yaml",
                                             "p.yaml");
    ASSERT_FALSE(loaded.plan);
    ASSERT_EQ(loaded.diagnostics.all().size(), 1U);
    EXPECT_EQ(loaded.diagnostics.all()[0].message, R"(a default cannot read column "email")");
    EXPECT_EQ(loaded.diagnostics.all()[0].mark.line, 3);
}

TEST(SetDefault, WithoutACatalogSaysTheUndoIsNotKnownYet) {
    const PlannedMigration planned = planners::plan_migration(testing::load(R"yaml(
name: a
changes:
  - set_default: {table: t, column: c, default: "0"}
)yaml"),
                                                              nullptr);
    EXPECT_TRUE(testing::any_contains(planned.unchecked, "the current default of \"t\".\"c\""));
}

TEST(DropDefault, DropsAtContractBecauseTheOldVersionMayRelyOnIt) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_default: {table: users, column: email}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    EXPECT_EQ(planned.steps[0].phase, Phase::contract);
    EXPECT_EQ(planned.steps[0].lock, LockLevel::access_exclusive);
    EXPECT_EQ(planned.steps[0].sql,
              std::vector<std::string>{
                  R"(ALTER TABLE "public"."users" ALTER COLUMN "email" DROP DEFAULT)"});
}

TEST(DropDefault, RefusesAColumnWithoutADefault) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_default: {table: users, column: name}
)yaml");
    ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.diagnostics.all()[0].message, R"(column "users"."name" has no default)");
}

TEST(DropDefault, SeesADefaultSetEarlierInThePlan) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_default: {table: users, column: name, default: "'x'"}
  - drop_default: {table: users, column: name}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::planners
