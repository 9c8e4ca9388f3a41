// set_not_null: NOT VALID check at expand, VALIDATE in backfill, SET NOT NULL at contract; `up`
// fixes old NULLs by backfill and old-version writes by trigger; composes with earlier changes.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::plan_with_catalog;

TEST(SetNotNull, WithoutUpIsACheckNotValidThenValidateThenSetNotNull) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_not_null: {table: orders, column: reference}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 3U);
    const Step& expand = planned.steps[0];
    EXPECT_EQ(expand.phase, Phase::expand);
    EXPECT_EQ(expand.lock, LockLevel::access_exclusive);
    EXPECT_EQ(expand.sql,
              std::vector<std::string>{R"(ALTER TABLE "public"."orders" ADD CONSTRAINT )"
                                       R"("orders_reference_not_null" CHECK )"
                                       R"(("reference" IS NOT NULL) NOT VALID)"});
    EXPECT_EQ(expand.undo, std::vector<std::string>{R"(ALTER TABLE "public"."orders" DROP )"
                                                    R"(CONSTRAINT IF EXISTS )"
                                                    R"("orders_reference_not_null")"});

    const Step& validate = planned.steps[1];
    EXPECT_EQ(validate.phase, Phase::backfill);
    EXPECT_EQ(validate.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(validate.sql, std::vector<std::string>{R"(ALTER TABLE "public"."orders" VALIDATE )"
                                                     R"(CONSTRAINT "orders_reference_not_null")"});
    EXPECT_EQ(validate.violation_count_sql,
              R"(SELECT count(*) FROM "public"."orders" WHERE "reference" IS NULL)");
    // The failure names offending rows by primary key, as PostgreSQL's details do: (id)=(42).
    EXPECT_EQ(validate.violation_examples_sql,
              R"(SELECT '(id)=(' || concat_ws(', ', COALESCE(pgphase_row."id"::text, 'NULL')) )"
              R"(|| ')' FROM "public"."orders" AS pgphase_row WHERE "reference" IS NULL )"
              R"(ORDER BY pgphase_row."id" LIMIT 5)");

    const Step& contract = planned.steps[2];
    EXPECT_EQ(contract.phase, Phase::contract);
    EXPECT_EQ(contract.lock, LockLevel::access_exclusive);
    EXPECT_EQ(contract.sql,
              (std::vector<std::string>{
                  R"(ALTER TABLE "public"."orders" ALTER COLUMN "reference" SET NOT NULL)",
                  R"(ALTER TABLE "public"."orders" DROP CONSTRAINT IF EXISTS )"
                  R"("orders_reference_not_null")"}));
}

TEST(SetNotNull, WithUpFillsOldWritesByTriggerAndExistingNullsByBackfillThenAddsTheCheck) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_not_null: {table: orders, column: reference, up: "'legacy-' || id"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 5U);
    const Step& expand = planned.steps[0];
    EXPECT_EQ(expand.phase, Phase::expand);
    ASSERT_EQ(expand.sql.size(), 2U);
    EXPECT_NE(expand.sql[0].find(R"(IF NEW."reference" IS NULL THEN)"), std::string::npos);
    EXPECT_NE(expand.sql[0].find(R"(NEW."reference" := (SELECT ('legacy-' || id) FROM )"
                                 R"((SELECT NEW.*) AS pgphase_row))"),
              std::string::npos);
    EXPECT_NE(expand.sql[1].find("BEFORE INSERT OR UPDATE"), std::string::npos);
    EXPECT_TRUE(any_contains(expand.undo, "DROP TRIGGER IF EXISTS"));

    const Step& backfill = planned.steps[1];
    ASSERT_TRUE(backfill.backfill);
    EXPECT_EQ(backfill.lock, LockLevel::row_exclusive);
    EXPECT_EQ(backfill.backfill->set.at(0).column, "reference");
    EXPECT_EQ(backfill.backfill->set.at(0).expression,
              R"(COALESCE("reference", ('legacy-' || id)))");
    // Only NULL rows that up can fix: a rerun writes nothing.
    EXPECT_EQ(backfill.backfill->pending_predicate,
              R"("reference" IS NULL AND ('legacy-' || id) IS NOT NULL)");
    // The check comes after the fill, so other changes' backfills never trip over it.
    const Step& forbid = planned.steps[2];
    EXPECT_EQ(forbid.phase, Phase::backfill);
    EXPECT_EQ(forbid.lock, LockLevel::access_exclusive);
    EXPECT_TRUE(any_contains(forbid.sql, "NOT VALID"));
    EXPECT_TRUE(any_contains(forbid.undo, "DROP CONSTRAINT IF EXISTS"));
    EXPECT_TRUE(any_contains(planned.steps[3].sql, "VALIDATE CONSTRAINT"));
    EXPECT_TRUE(any_contains(planned.steps[4].sql, "DROP TRIGGER IF EXISTS"));
    EXPECT_TRUE(any_contains(planned.steps[4].sql, "SET NOT NULL"));
}

TEST(SetNotNull, ComposesWithAnAddColumnOfTheSameColumnEarlierInThePlan) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - add_column: {table: orders, column: {name: currency, type: text}, up: upper(legacy_currency)}
  - set_not_null: {table: orders, column: currency, up: "'USD'"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 2U);
    EXPECT_TRUE(any_contains(expand[0]->sql, R"(ADD COLUMN "currency" text)"));
    EXPECT_TRUE(any_contains(expand[1]->sql, "CREATE TRIGGER"));
    // add_column's fill runs before set_not_null's, and both before the check and VALIDATE.
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 4U);
    EXPECT_EQ(backfill[0]->change_index, 0);
    EXPECT_EQ(backfill[1]->change_index, 1);
    EXPECT_TRUE(any_contains(backfill[2]->sql, R"(CHECK ("currency" IS NOT NULL) NOT VALID)"));
    EXPECT_TRUE(any_contains(backfill[3]->sql, "VALIDATE CONSTRAINT"));
}

TEST(SetNotNull, ComposesWithASetDefaultOfTheSameColumn) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_default: {table: users, column: name, default: "'anonymous'"}
  - set_not_null: {table: users, column: name}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 2U);
    // The default is in place before the check, in plan order.
    EXPECT_TRUE(any_contains(expand[0]->sql, "SET DEFAULT 'anonymous'"));
    EXPECT_TRUE(any_contains(expand[1]->sql, "NOT VALID"));
}

TEST(SetNotNull, RecordsNotNullInTheWorkingCatalogSoASecondOneIsRefused) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_not_null: {table: orders, column: reference}
  - set_not_null: {table: orders, column: reference}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "orders"."reference" is already NOT NULL)");
    EXPECT_EQ(all[0].mark.line, 5);
}

TEST(SetNotNull, RefusesAColumnAnEarlierChangeAlreadyMakesNotNull) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - add_column: {table: orders, column: {name: c, type: text, nullable: false}, up: "'x'"}
  - rename_column: {table: users, from: email, to: email_address}
  - set_not_null: {table: orders, column: c}
  - set_not_null: {table: users, column: email_address}
)yaml");
    const auto all = testing::errors(planned);
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message,
              R"(column "orders"."c" is made NOT NULL by change 1 of this plan already)");
    EXPECT_EQ(all[1].message, R"(column "users"."email_address" is made NOT NULL by change 2 of )"
                              R"(this plan already)");
}

TEST(SetNotNull, ReportsUnknownColumnsWithASuggestion) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_not_null: {table: orders, column: referense, up: lower(statu)}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "orders"."statu" (read by up) does not exist)");
    EXPECT_EQ(all[0].hint, R"(did you mean "status"?)");
    EXPECT_EQ(all[1].message, R"(column "orders"."referense" (set NOT NULL) does not exist)");
    EXPECT_EQ(all[1].hint, R"(did you mean "reference"?)");
}

TEST(SetNotNull, WithoutACatalogDescribesRowsByCtid) {
    const PlannedMigration planned = planners::plan_migration(testing::load(R"yaml(
name: a
changes:
  - set_not_null: {table: t, column: c}
)yaml"),
                                                              nullptr);
    ASSERT_FALSE(planned.diagnostics.has_errors());
    EXPECT_NE(planned.steps.at(1).violation_examples_sql.find(
                  R"('(ctid)=(' || concat_ws(', ', COALESCE(pgphase_row."ctid"::text, 'NULL')))"),
              std::string::npos);
}

} // namespace
} // namespace pgphase::planners
