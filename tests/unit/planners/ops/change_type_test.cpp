// change_type: a shadow column with a two-way trigger, a backfill of `up` through a function
// that names the row it cannot convert, indexes and constraints rebuilt on the shadow, a
// metadata-only swap at contract; binary-compatible changes in place; refusals with hints.
#include "planners/ops/carry_over.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;
using testing::plan_with_catalog;

const char* payload_plan = R"(
name: t
changes:
  - change_type: {table: events, column: payload, type: jsonb, up: "payload::jsonb", down: "payload::text"}
)";

const char* amount_plan = R"(
name: t
changes:
  - change_type: {table: events, column: amount, type: bigint}
)";

const Step& only(const std::vector<const Step*>& steps) {
    EXPECT_EQ(steps.size(), 1U);
    return *steps.at(0);
}

TEST(ChangeType, AddsShadowColumnCheckUpFunctionAndTriggerInOneTransaction) {
    const PlannedMigration planned = plan_with_catalog(payload_plan);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step& expand = only(planned.phase_steps(Phase::expand));
    EXPECT_TRUE(expand.transactional);
    EXPECT_EQ(expand.lock, LockLevel::access_exclusive);
    ASSERT_EQ(expand.sql.size(), 5U);
    EXPECT_EQ(expand.sql[0],
              R"(ALTER TABLE "public"."events" ADD COLUMN "_pgphase_new_payload" jsonb)");
    EXPECT_EQ(expand.sql[1], R"(ALTER TABLE "public"."events" ADD CONSTRAINT )"
                             R"("events__pgphase_new_payload_not_null" CHECK )"
                             R"(("_pgphase_new_payload" IS NOT NULL) NOT VALID)");
    EXPECT_NE(expand.sql[2].find(R"(CREATE OR REPLACE FUNCTION "pgphase"."pgphase_t_1_up"()"
                                 R"(pgphase_row "public"."events") RETURNS jsonb)"),
              std::string::npos);
    EXPECT_NE(expand.sql[4].find(R"(BEFORE INSERT OR UPDATE ON "public"."events")"),
              std::string::npos);
    EXPECT_EQ(
        expand.undo,
        (std::vector<std::string>{
            R"(DROP TRIGGER IF EXISTS "pgphase_t_1" ON "public"."events")",
            R"(DROP FUNCTION IF EXISTS "pgphase"."pgphase_t_1"())",
            R"(DROP FUNCTION IF EXISTS "pgphase"."pgphase_t_1_up"("public"."events"))",
            R"(ALTER TABLE "public"."events" DROP COLUMN IF EXISTS "_pgphase_new_payload")"}));
}

TEST(ChangeType, UpFunctionNamesTheRowKeyWhenItCannotConvert) {
    const PlannedMigration planned = plan_with_catalog(payload_plan);
    const std::string& function = only(planned.phase_steps(Phase::expand)).sql[2];
    EXPECT_NE(function.find(R"(RETURN (SELECT (payload::jsonb) FROM (SELECT )"
                            R"(pgphase_row."payload" AS "payload") AS pgphase_input);)"),
              std::string::npos)
        << function;
    EXPECT_NE(function.find("EXCEPTION WHEN OTHERS THEN"), std::string::npos);
    EXPECT_NE(function.find(R"('the row (id)=(' || coalesce(pgphase_row."id"::text, 'NULL'))"),
              std::string::npos)
        << function;
    EXPECT_NE(function.find("ERRCODE = SQLSTATE"), std::string::npos);
}

TEST(ChangeType, TriggerDecidesTheDirectionFromWhatTheWriteChanged) {
    const PlannedMigration planned = plan_with_catalog(payload_plan);
    const std::string& trigger = only(planned.phase_steps(Phase::expand)).sql[3];
    EXPECT_EQ(trigger.find("search_path = current_setting"), std::string::npos);
    EXPECT_EQ(trigger.find("current_schemas"), std::string::npos);
    EXPECT_NE(trigger.find(R"(pgphase_old_changed := NEW."payload"::text IS DISTINCT FROM )"
                           R"(OLD."payload"::text;)"),
              std::string::npos);
    // New writes: down reads the column's name, fed from the shadow.
    EXPECT_NE(trigger.find(R"(NEW."payload" := (SELECT (payload::text) FROM (SELECT )"
                           R"(NEW."_pgphase_new_payload" AS "payload") AS pgphase_input);)"),
              std::string::npos)
        << trigger;
    // Old writes: up through the key-naming function.
    EXPECT_NE(trigger.find(R"(NEW."_pgphase_new_payload" := "pgphase"."pgphase_t_1_up"(NEW);)"),
              std::string::npos);
}

TEST(ChangeType, BackfillIsDataWhosePendingPredicateWritesNothingOnRerun) {
    const PlannedMigration planned = plan_with_catalog(payload_plan);
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 2U);
    ASSERT_TRUE(backfill[0]->backfill);
    const BackfillTask& task = *backfill[0]->backfill;
    ASSERT_EQ(task.set.size(), 1U);
    EXPECT_EQ(task.set[0].column, "_pgphase_new_payload");
    EXPECT_EQ(task.set[0].expression, R"("pgphase"."pgphase_t_1_up"("events"))");
    EXPECT_EQ(task.pending_predicate, R"("_pgphase_new_payload" IS NULL AND )"
                                      R"("pgphase"."pgphase_t_1_up"("events") IS NOT NULL)");
    EXPECT_EQ(backfill[1]->sql.at(0), R"(ALTER TABLE "public"."events" VALIDATE CONSTRAINT )"
                                      R"("events__pgphase_new_payload_not_null")");
}

TEST(ChangeType, ContractDropsTheOldColumnAndRenamesTheShadowWithItsDefaultAndNotNull) {
    const PlannedMigration planned = plan_with_catalog(payload_plan);
    const Step& contract = only(planned.phase_steps(Phase::contract));
    EXPECT_EQ(contract.lock, LockLevel::access_exclusive);
    EXPECT_TRUE(contract.undo.empty());
    EXPECT_EQ(contract.sql,
              (std::vector<std::string>{
                  R"(DROP TRIGGER IF EXISTS "pgphase_t_1" ON "public"."events")",
                  R"(DROP FUNCTION IF EXISTS "pgphase"."pgphase_t_1"())",
                  R"(DROP FUNCTION IF EXISTS "pgphase"."pgphase_t_1_up"("public"."events"))",
                  R"(SELECT "pgphase"."keep_column"('"public"."events"', 'payload', )"
                  R"('_pgphase_dropped_4987ee04_payload', '_pgphase_written_4987ee04', )"
                  R"('t', 1, '7 days'))",
                  R"(ALTER TABLE "public"."events" RENAME COLUMN "_pgphase_new_payload" TO )"
                  R"("payload")",
                  R"(ALTER TABLE "public"."events" ALTER COLUMN "payload" SET DEFAULT )"
                  R"(('{}'::text)::jsonb)",
                  R"(ALTER TABLE "public"."events" ALTER COLUMN "payload" SET NOT NULL)",
                  R"(ALTER TABLE "public"."events" DROP CONSTRAINT IF EXISTS )"
                  R"("events__pgphase_new_payload_not_null")"}));
}

TEST(ChangeType, RebuildsIndexesConcurrentlyOnTheShadowAfterTheCopy) {
    const PlannedMigration planned = plan_with_catalog(amount_plan);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 5U);
    EXPECT_TRUE(backfill[0]->backfill); // the copy comes first
    const Step& partial = *backfill[1];
    EXPECT_FALSE(partial.transactional);
    EXPECT_EQ(partial.lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(partial.sql.at(0),
              R"(CREATE INDEX CONCURRENTLY IF NOT EXISTS "_pgphase_new_events_amount_idx" ON )"
              R"("public"."events" USING btree ("_pgphase_new_amount") WHERE )"
              R"(("_pgphase_new_amount" > 0))");
    ASSERT_TRUE(partial.concurrent_index);
    EXPECT_EQ(partial.concurrent_index->index.name, "_pgphase_new_events_amount_idx");
    EXPECT_EQ(partial.undo.at(0),
              R"(DROP INDEX CONCURRENTLY IF EXISTS "public"."_pgphase_new_events_amount_idx")");
    EXPECT_FALSE(partial.undo_transactional);
    const Step& unique = *backfill[2];
    EXPECT_NE(unique.sql.at(0).find("CREATE UNIQUE INDEX CONCURRENTLY"), std::string::npos);
    EXPECT_NE(unique.violation_count_sql.find(R"(GROUP BY "_pgphase_new_amount" HAVING)"),
              std::string::npos);
}

TEST(ChangeType, AddsChecksNotValidThenValidatesThemAndRenamesEverythingAtContract) {
    const PlannedMigration planned = plan_with_catalog(amount_plan);
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 5U);
    EXPECT_EQ(backfill[3]->sql.at(0),
              R"(ALTER TABLE "public"."events" ADD CONSTRAINT "_pgphase_new_events_amount_check" )"
              R"(CHECK (("_pgphase_new_amount" > 0)) NOT VALID)");
    EXPECT_EQ(backfill[3]->lock, LockLevel::access_exclusive);
    EXPECT_EQ(backfill[4]->sql.at(0), R"(ALTER TABLE "public"."events" VALIDATE CONSTRAINT )"
                                      R"("_pgphase_new_events_amount_check")");
    EXPECT_EQ(backfill[4]->lock, LockLevel::share_update_exclusive);
    EXPECT_EQ(backfill[4]->violation_count_sql,
              R"(SELECT count(*) FROM "public"."events" WHERE NOT (("_pgphase_new_amount" > 0)))");
    const auto& contract = only(planned.phase_steps(Phase::contract)).sql;
    EXPECT_TRUE(any_contains(contract, R"(ALTER INDEX "public"."_pgphase_new_events_amount_idx" )"
                                       R"(RENAME TO "events_amount_idx")"));
    EXPECT_TRUE(any_contains(contract, R"(ADD CONSTRAINT "events_amount_key" UNIQUE USING INDEX )"
                                       R"("_pgphase_new_events_amount_key")"));
    EXPECT_TRUE(any_contains(contract, R"(RENAME CONSTRAINT "_pgphase_new_events_amount_check" )"
                                       R"(TO "events_amount_check")"));
    // Without up/down: a plain cast each way.
    const std::string& trigger = planned.phase_steps(Phase::expand)[0]->sql[2];
    EXPECT_NE(trigger.find(R"(("amount"::integer))"), std::string::npos) << trigger;
}

TEST(ChangeType, CarriesItsOwnForeignKeyOverButNotTheReferencedSide) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: t
changes:
  - change_type: {table: events, column: user_id, type: bigint}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_EQ(backfill.size(), 3U);
    EXPECT_EQ(backfill[1]->sql.at(0),
              R"(ALTER TABLE "public"."events" ADD CONSTRAINT "_pgphase_new_events_user_id_fkey" )"
              R"(FOREIGN KEY ("_pgphase_new_user_id") REFERENCES users(id) NOT VALID)");
    EXPECT_EQ(backfill[1]->lock, LockLevel::share_row_exclusive);
}

TEST(ChangeType, ABinaryCompatibleChangeIsOneInPlaceAlterWithoutACopy) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: t
changes:
  - change_type: {table: events, column: kind, type: text}
  - change_type: {table: orders, column: legacy_currency, type: varchar(10)}
)");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_TRUE(planned.phase_steps(Phase::backfill).empty());
    EXPECT_TRUE(planned.phase_steps(Phase::contract).empty());
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 2U);
    EXPECT_EQ(expand[0]->sql,
              (std::vector<std::string>{
                  R"(ALTER TABLE "public"."events" ALTER COLUMN "kind" TYPE text)"}));
    EXPECT_EQ(expand[0]->summary, "change type of events.kind to text in place: metadata only, no "
                                  "copy of the table (varchar(20) to text is binary compatible)");
    EXPECT_NE(expand[1]->summary.find("only raises the length limit"), std::string::npos);
}

TEST(ChangeType, ACompatibleChangeThatPostgresWouldStillScanGoesThroughAShadowAndSaysWhy) {
    Catalog catalog = testing::fixture_catalog();
    CatalogTable& orders = catalog.tables[1];
    orders.constraints.push_back({"orders_currency_check",
                                  'c',
                                  true,
                                  {"legacy_currency"},
                                  "CHECK ((legacy_currency)::text <> ''::text)"});
    orders.indexes.push_back({"orders_currency_idx",
                              false,
                              false,
                              true,
                              {"legacy_currency"},
                              "CREATE INDEX orders_currency_idx ON public.orders USING btree "
                              "(legacy_currency)"});
    const PlannedMigration planned = plan_migration(testing::load(R"(
name: t
changes:
  - change_type: {table: orders, column: legacy_currency, type: text}
)"),
                                                    &catalog);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.diagnostics.all().size(), 1U);
    EXPECT_EQ(planned.diagnostics.all()[0].severity, Severity::note);
    EXPECT_EQ(planned.diagnostics.all()[0].message,
              "varchar(3) to text is binary compatible, but in place constraint "
              "\"orders_currency_check\" would be checked again under ACCESS EXCLUSIVE; going "
              "through a shadow column instead");
    EXPECT_EQ(planned.phase_steps(Phase::backfill).size(), 4U); // copy, index, check, validate
}

TEST(ChangeType, AnIndexWithAnExpressionOrPredicateOnTheColumnAlsoPreventsTheInPlaceChange) {
    Catalog catalog = testing::fixture_catalog();
    catalog.tables[1].indexes.push_back(
        {"orders_currency_lower_idx",
         false,
         false,
         true,
         {"legacy_currency"},
         "CREATE INDEX orders_currency_lower_idx ON public.orders USING btree "
         "(lower((legacy_currency)::text))"});
    const PlannedMigration planned = plan_migration(testing::load(R"(
name: t
changes:
  - change_type: {table: orders, column: legacy_currency, type: text}
)"),
                                                    &catalog);
    ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
    EXPECT_NE(planned.diagnostics.all()[0].message.find(
                  "index \"orders_currency_lower_idx\" would be rebuilt"),
              std::string::npos);
}

TEST(ChangeType, ANarrowingOrComputedChangeOfACompatibleTypeStillCopies) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: t
changes:
  - change_type: {table: events, column: kind, type: varchar(5)}
  - change_type: {table: orders, column: legacy_currency, type: text, up: upper(legacy_currency)}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.phase_steps(Phase::backfill).size(), 2U);
}

TEST(ChangeType, ShowsTheShadowUnderTheOriginalNameToTheNewVersion) {
    const Plan plan = testing::load(payload_plan);
    Catalog catalog = testing::fixture_catalog();
    Diagnostics diagnostics;
    std::vector<std::string> unchecked;
    const PlanningOptions options;
    OpContext context{plan, plan.changes[0], 0, options, &catalog, diagnostics, unchecked, {}};
    unit_of(plan.changes[0].operation).plan(context, plan.changes[0].operation);
    ASSERT_FALSE(diagnostics.has_errors()) << diagnostics.to_string();
    const CatalogTable* events = catalog.table("public", "events");
    ASSERT_NE(events->column("_pgphase_new_payload"), nullptr);
    EXPECT_EQ(events->column("_pgphase_new_payload")->type, "jsonb");
    EXPECT_EQ(events->new_version.hidden_columns, (std::vector<std::string>{"payload"}));
    EXPECT_EQ(events->new_version.exposed.at("_pgphase_new_payload"), "payload");
}

TEST(ChangeType, RefusesPrimaryKeyIdentityAndSerialColumnsWithHints) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: t
changes:
  - change_type: {table: events, column: id, type: numeric}
  - change_type: {table: orders, column: id, type: numeric}
  - change_type: {table: users, column: id, type: numeric}
)");
    const std::string all = planned.diagnostics.to_string();
    EXPECT_NE(all.find(R"(cannot change the type of column "events"."id": it is part of the )"
                       R"(primary key)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find(R"(cannot change the type of "orders"."id": it is an identity column)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find(R"(cannot change the type of "users"."id": it takes its default from a )"
                       R"(sequence)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("hint: "), std::string::npos);
}

TEST(ChangeType, RefusesAForeignKeyOfAnotherTableReferencingTheColumn) {
    Catalog catalog = testing::fixture_catalog();
    CatalogTable& events = catalog.tables.back();
    events.constraints.push_back({"audit_event_amount_fkey",
                                  'f',
                                  true,
                                  {"amount"},
                                  "FOREIGN KEY (event_amount) REFERENCES events(amount)"});
    const PlannedMigration planned = plan_migration(testing::load(amount_plan), &catalog);
    EXPECT_NE(planned.diagnostics.to_string().find(
                  R"(foreign key "audit_event_amount_fkey" of another table references it)"),
              std::string::npos)
        << planned.diagnostics.to_string();
}

TEST(ChangeType, RefusesTwoChangesOfOneColumnNamingTheFirst) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: t
changes:
  - rename_column: {table: users, from: name, to: full_name}
  - change_type: {table: users, column: full_name, type: varchar(100)}
  - change_type: {table: events, column: payload, type: jsonb}
  - change_type: {table: events, column: payload, type: json}
)");
    const auto all = testing::errors(planned);
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(column "users"."full_name" is already changed by rename_column )"
                              R"(at test.yaml:4 in this plan)");
    EXPECT_EQ(all[0].mark.line, 5);
    EXPECT_NE(all[0].hint.find("run them as two migrations"), std::string::npos);
    EXPECT_EQ(all[1].message, R"(column "events"."payload" is already changed by change_type at )"
                              R"(test.yaml:6 in this plan)");
}

TEST(ChangeType, RefusesAColumnThatAnIndexOfTheSamePlanUses) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: t
changes:
  - create_index: {table: events, name: events_payload_idx, columns: [payload]}
  - change_type: {table: events, column: payload, type: jsonb}
)");
    ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
    EXPECT_EQ(planned.diagnostics.all()[0].message,
              R"(column "events"."payload" is used by index "events_payload_idx", which )"
              R"(create_index at test.yaml:4 builds in this plan; contract would drop it with )"
              R"(the old column)");
}

TEST(ChangeType, ReportsUnknownColumnsOfUpAndDownWithSuggestions) {
    const PlannedMigration planned = plan_with_catalog(R"(
name: t
changes:
  - change_type: {table: events, column: payload, type: jsonb, up: "paylod::jsonb"}
)");
    ASSERT_TRUE(planned.diagnostics.has_errors());
    EXPECT_EQ(planned.diagnostics.all()[0].message,
              R"(column "events"."paylod" (read by up) does not exist)");
    EXPECT_EQ(planned.diagnostics.all()[0].hint, R"(did you mean "payload"?)");
}

TEST(ChangeType, WithoutCatalogPlansACopyAndSaysWhatItCouldNotCheck) {
    const PlannedMigration planned = plan_migration(testing::load(amount_plan), nullptr);
    EXPECT_FALSE(planned.diagnostics.has_errors());
    ASSERT_EQ(planned.unchecked.size(), 2U);
    EXPECT_NE(planned.unchecked[1].find("binary-compatible change is then done in place"),
              std::string::npos);
    EXPECT_NE(planned.phase_steps(Phase::expand)[0]->sql[2].find("<type of"), std::string::npos);
}

TEST(CarryOver, ReplacesColumnReferencesButNotFunctionsCastsLiteralsOrKeywords) {
    EXPECT_EQ(replace_column_refs("CHECK ((char_length(amount) > 3) AND (amount <> 'amount'))",
                                  "amount", "new"),
              R"(CHECK ((char_length("new") > 3) AND ("new" <> 'amount')))");
    EXPECT_EQ(replace_column_refs("(lower(lower) || x::lower || t.lower)", "lower", "n"),
              R"((lower("n") || x::lower || t.lower))");
    EXPECT_EQ(replace_column_refs(R"(USING btree ("Mixed Case" DESC NULLS FIRST))", "Mixed Case",
                                  "we\"ird"),
              R"(USING btree ("we""ird" DESC NULLS FIRST))");
    EXPECT_EQ(replace_column_refs("USING btree (first DESC NULLS FIRST)", "first", "f"),
              R"(USING btree ("f" DESC NULLS FIRST))");
}

} // namespace
} // namespace pgphase::planners
