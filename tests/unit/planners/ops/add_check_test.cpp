// add_check: NOT VALID at expand, VALIDATE in backfill with violators described by key, `up`
// as a fixing trigger plus a backfill over rows where the check is false.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::plan_with_catalog;

TEST(AddCheck, AddsTheCheckNotValidAtExpandAndValidatesInBackfill) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: c
changes:
  - add_check: {table: orders, name: orders_status_known, check: "status IN ('open', 'paid')"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 2U);
    const Step& expand = planned.steps[0];
    EXPECT_EQ(expand.phase, Phase::expand);
    EXPECT_EQ(expand.lock, LockLevel::access_exclusive);
    EXPECT_EQ(
        expand.sql,
        (std::vector<std::string>{
            R"(ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_status_known" CHECK (status IN ('open', 'paid')) NOT VALID)"}));
    EXPECT_EQ(
        expand.undo,
        (std::vector<std::string>{
            R"(ALTER TABLE "public"."orders" DROP CONSTRAINT IF EXISTS "orders_status_known")"}));
    const Step& validate = planned.steps[1];
    EXPECT_EQ(validate.phase, Phase::backfill);
    EXPECT_EQ(validate.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(validate.sql.at(0),
              R"(ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_status_known")");
    EXPECT_TRUE(validate.undo.empty());
    EXPECT_EQ(
        validate.violation_count_sql,
        R"(SELECT count(*) FROM "public"."orders" AS pgphase_row WHERE (status IN ('open', 'paid')) IS FALSE)");
    EXPECT_EQ(
        validate.violation_examples_sql,
        R"(SELECT '(id)=(' || concat_ws(', ', COALESCE(pgphase_row."id"::text, 'NULL')) || ')' || ': ' || '(status)=(' || concat_ws(', ', COALESCE(pgphase_row."status"::text, 'NULL')) || ')' FROM "public"."orders" AS pgphase_row WHERE (status IN ('open', 'paid')) IS FALSE ORDER BY pgphase_row."id" LIMIT 5)");
}

TEST(AddCheck, UpFixesViolatingWritesByTriggerAndExistingRowsByBackfillBeforeValidate) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: c
changes:
  - add_check: {table: orders, name: short_ref, check: "length(reference) <= 40", up: "left(reference, 40)"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 4U);
    const Step& expand = planned.steps[0];
    EXPECT_TRUE(any_contains(expand.sql, "IF (SELECT (length(reference) <= 40) IS FALSE FROM "
                                         "(SELECT NEW.*) AS pgphase_row) THEN"));
    EXPECT_TRUE(any_contains(expand.sql, R"(SELECT ("left"(reference, 40)) INTO NEW."reference")"));
    EXPECT_TRUE(any_contains(expand.sql, "CREATE TRIGGER \"pgphase_c_1\" BEFORE INSERT OR UPDATE"));
    EXPECT_EQ(expand.undo.size(), 3U) << "trigger, function, constraint";
    const Step& backfill = planned.steps[1];
    ASSERT_EQ(backfill.kind, StepKind::backfill);
    ASSERT_TRUE(backfill.backfill);
    EXPECT_EQ(backfill.lock, LockLevel::row_exclusive);
    ASSERT_EQ(backfill.backfill->set.size(), 1U);
    EXPECT_EQ(backfill.backfill->set[0].column, "reference");
    EXPECT_EQ(
        backfill.backfill->set[0].expression,
        R"(CASE WHEN (length(reference) <= 40) IS FALSE THEN ("left"(reference, 40)) ELSE "reference" END)");
    EXPECT_EQ(backfill.backfill->pending_predicate, "(length(reference) <= 40) IS FALSE");
    EXPECT_EQ(planned.steps[2].phase, Phase::backfill);
    EXPECT_TRUE(any_contains(planned.steps[2].sql, "VALIDATE CONSTRAINT \"short_ref\""));
    const Step& contract = planned.steps[3];
    EXPECT_EQ(contract.phase, Phase::contract);
    EXPECT_TRUE(any_contains(contract.sql, "DROP TRIGGER IF EXISTS \"pgphase_c_1\""));
}

TEST(AddCheck, UpMayFixSeveralColumnsInOneAssignment) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: c
changes:
  - add_check:
      table: orders
      name: ref_or_status
      check: "reference IS NOT NULL OR status = 'draft'"
      up: {reference: "'unknown'", status: "status"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_TRUE(any_contains(planned.steps[0].sql,
                             R"(SELECT ('unknown'), (status) INTO NEW."reference", NEW."status")"));
    EXPECT_EQ(planned.steps[1].backfill->set.size(), 2U);
}

TEST(AddCheck, RecordsTheConstraintSoALaterChangeCanRenameIt) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: c
changes:
  - add_check: {table: orders, name: a, check: "status <> ''"}
  - rename_constraint: {table: orders, from: a, to: b}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

TEST(AddCheck, ReportsUnknownColumnsAndATakenName) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: c
changes:
  - add_check: {table: audit_events, name: audit_events_kind_check, check: "knd <> ''", up: {kind: "lower(kid)"}}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 4U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "audit_events"."knd" (read by check) does not exist)");
    EXPECT_EQ(all[0].hint, R"(did you mean "kind"?)");
    EXPECT_EQ(all[1].message, R"(column "audit_events"."kid" (read by up) does not exist)");
    EXPECT_EQ(all[2].message,
              R"(constraint "audit_events_kind_check" of table "audit_events" already exists)");
    EXPECT_EQ(all[3].message, R"(table "audit_events" has no primary key)");
}

} // namespace
} // namespace pgphase::planners
