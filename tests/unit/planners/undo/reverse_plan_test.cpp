// The undo plan of a completed migration: each change's reverse, last first, with the kept
// tombstones brought back; what cannot be reversed is refused, change by change.
#include "planners/undo/reverse_plan.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners {
namespace {

using testing::fixture_table;
using testing::load;

const char* reshape = R"yaml(
name: reshape
settings: {lock_timeout: 500ms, keep_dropped: 3d}
changes:
  - rename_column: {table: orders, from: customer, to: customer_name}
  - change_type: {table: orders, column: qty, type: bigint, up: "qty * 10", down: "(qty / 10)::int"}
  - drop_column: {table: orders, column: note, down: "'n/a'"}
  - drop_table: {table: audit}
)yaml";

// The database after reshape's contract, with its tombstones.
Catalog after_contract() {
    Catalog catalog;
    catalog.tables.push_back(fixture_table(
        "public", "orders",
        {{"id", "integer", true, std::nullopt, false, false},
         {"customer_name", "text", true, std::nullopt, false, false},
         {"qty", "bigint", true, std::nullopt, false, false},
         {"_pgphase_dropped_aaaaaaaa_qty", "integer", false, std::nullopt, false, false},
         {"_pgphase_written_aaaaaaaa", "boolean", false, "true", false, false},
         {"_pgphase_dropped_bbbbbbbb_note", "text", false, std::nullopt, false, false},
         {"_pgphase_written_bbbbbbbb", "boolean", false, "true", false, false}}));
    catalog.tables.push_back(
        fixture_table("pgphase_dropped", "_pgphase_dropped_cccccccc_audit",
                      {{"id", "integer", true, std::nullopt, false, false},
                       {"order_id", "integer", true, std::nullopt, false, false}}));
    for (const auto& table : catalog.tables) {
        catalog.relations.push_back({table.schema, table.name, 'r'});
    }
    return catalog;
}

std::vector<KeptTombstone> kept() {
    KeptTombstone qty{2,
                      "column",
                      "qty",
                      Tombstone{"_pgphase_dropped_aaaaaaaa_qty",
                                "",
                                "_pgphase_written_aaaaaaaa",
                                {{"constraint", "orders_qty_check", "CHECK ((qty > 0))"},
                                 {"default", "qty", "1"},
                                 {"not_null", "qty", "NOT NULL"}}},
                      "",
                      3};
    KeptTombstone note{
        3,
        "column",
        "note",
        Tombstone{"_pgphase_dropped_bbbbbbbb_note",
                  "",
                  "_pgphase_written_bbbbbbbb",
                  {{"constraint", "orders_note_check", "CHECK ((length(note) < 60))"},
                   {"index", "orders_note_idx",
                    "CREATE INDEX orders_note_idx ON public.orders USING btree "
                    "(note)"},
                   {"default", "note", "'none'::text"},
                   {"not_null", "note", "NOT NULL"}}},
        "",
        3};
    KeptTombstone audit{4,
                        "table",
                        "audit",
                        Tombstone{"_pgphase_dropped_cccccccc_audit",
                                  "pgphase_dropped",
                                  "",
                                  {{"constraint", "audit_order_id_fkey",
                                    "FOREIGN KEY (order_id) REFERENCES public.orders(id)"}}},
                        "",
                        0};
    return {qty, note, audit};
}

std::vector<Step> contract_steps(int changes) {
    std::vector<Step> steps;
    for (int i = 0; i < changes; ++i) {
        Step step;
        step.phase = Phase::contract;
        step.change_index = i;
        steps.push_back(step);
    }
    return steps;
}

TEST(ReversePlan, RunsEachChangeBackwardsLastFirstAndBringsTheTombstonesBack) {
    const Plan original = load(reshape);
    const Catalog catalog = after_contract();
    const ReversePlan reverse = reverse_plan(original, contract_steps(4), kept(), catalog);
    ASSERT_TRUE(reverse.refusals.empty()) << reverse.refusals.front();
    EXPECT_EQ(reverse.name, "reshape_undo");
    const Plan undo = load(reverse.yaml);
    ASSERT_EQ(undo.changes.size(), 4U) << reverse.yaml;
    EXPECT_EQ(undo.name, "reshape_undo");
    EXPECT_EQ(undo.settings.lock_timeout, Milliseconds(500)) << "the migration's settings";
    EXPECT_EQ(undo.settings.keep_dropped, Milliseconds(3LL * 86'400'000));

    const auto& table = std::get<RestoreTable>(undo.changes[0].operation);
    EXPECT_EQ(table.table, "audit");
    EXPECT_EQ(table.tombstone.schema, "pgphase_dropped");
    const auto& note = std::get<RestoreColumn>(undo.changes[1].operation);
    EXPECT_EQ(note.column, "note");
    EXPECT_EQ(note.tombstone.relaxed.size(), 4U);
    ASSERT_TRUE(note.down);
    EXPECT_EQ(note.down->sql, "'n/a'");
    const auto& qty = std::get<ChangeType>(undo.changes[2].operation);
    EXPECT_EQ(qty.type.sql, "int") << "the kept column's type";
    ASSERT_TRUE(qty.up && qty.down && qty.restore);
    EXPECT_EQ(qty.up->sql, "CAST(qty / 10 AS int)") << "the original's down";
    EXPECT_EQ(qty.down->sql, "qty * 10") << "the original's up";
    const auto& rename = std::get<RenameColumn>(undo.changes[3].operation);
    EXPECT_EQ(rename.from, "customer_name");
    EXPECT_EQ(rename.to, "customer");

    // The planner takes it against the database as it is after contract.
    Catalog working = catalog;
    PlanningOptions options;
    options.version_schema = true;
    const PlannedMigration planned = plan_migration(undo, &working, options);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    std::string sql;
    for (const auto& step : planned.steps) {
        for (const auto& statement : step.sql) {
            sql += statement + ";\n";
        }
    }
    for (
        const char* expected : {
            R"(ALTER TABLE "pgphase_dropped"."_pgphase_dropped_cccccccc_audit" SET SCHEMA "public")",
            R"(ALTER TABLE "public"."audit" ADD CONSTRAINT "audit_order_id_fkey" FOREIGN KEY)",
            R"(ALTER TABLE "public"."orders" RENAME COLUMN "_pgphase_dropped_bbbbbbbb_note" TO "note")",
            R"(DROP TRIGGER IF EXISTS "_pgphase_written_bbbbbbbb" ON "public"."orders")",
            R"(ALTER TABLE "public"."orders" ALTER COLUMN "note" SET DEFAULT 'none'::text)",
            R"(CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON public.orders)",
            R"(ADD CONSTRAINT "orders_note_check" CHECK ((length(note) < 60)) NOT VALID)",
            R"(VALIDATE CONSTRAINT "orders_note_check")",
            R"(RENAME COLUMN "_pgphase_dropped_aaaaaaaa_qty" TO "_pgphase_new_qty")",
            R"(ALTER COLUMN "qty" SET DEFAULT 1)",
            R"(SELECT "pgphase"."keep_column"('"public"."orders"', 'qty', )",
            R"(UPDATE "pgphase"."tombstones" SET purged_at = now(), purged_by = 'restored by reshape_undo' WHERE kind = 'table')",
            R"(ALTER TABLE "public"."orders" RENAME COLUMN "customer_name" TO "customer")",
        }) {
        EXPECT_NE(sql.find(expected), std::string::npos) << expected << "\nin\n" << sql;
    }
    // Only the rows written since contract are filled again, each once.
    int backfills = 0;
    for (const auto& step : planned.steps) {
        if (step.backfill) {
            ++backfills;
            EXPECT_NE(step.backfill->pending_predicate.find("IS TRUE"), std::string::npos)
                << step.backfill->pending_predicate;
        }
    }
    EXPECT_EQ(backfills, 2);
    // The undo's version schema shows the table and the columns as they were.
    EXPECT_NE(sql.find(R"(CREATE VIEW "public_reshape_undo"."audit")"), std::string::npos) << sql;
    EXPECT_NE(sql.find(R"("note")"), std::string::npos);
}

TEST(ReversePlan, RefusesEveryChangeWithoutAReverseAndSaysWhy) {
    const Plan original = load(R"yaml(
name: mixed
changes:
  - drop_column: {table: orders, column: note}
  - drop_table: {table: audit}
  - set_default: {table: orders, column: qty, default: "2"}
  - change_type: {table: orders, column: customer, type: text}
  - add_column: {table: orders, column: {name: flag, type: boolean}}
)yaml");
    auto tombstones = kept();
    tombstones[1].change = 1; // note, written since contract, and no down
    tombstones[2].change = 2;
    tombstones[2].purged_at = "2026-12-01 10:00:00";
    const ReversePlan reverse =
        reverse_plan(original, contract_steps(3), tombstones, after_contract());
    ASSERT_EQ(reverse.refusals.size(), 4U);
    EXPECT_EQ(reverse.refusals[0],
              "change 1 (drop_column orders.note): 3 rows were written since contract and the "
              "change has no \"down\" to compute their value: their kept value is stale");
    EXPECT_EQ(reverse.refusals[1],
              "change 2 (drop_table audit): its tombstone _pgphase_dropped_cccccccc_audit was "
              "purged at 2026-12-01 10:00:00; the data it held is gone");
    EXPECT_EQ(reverse.refusals[2].rfind("change 3 (set_default): pgphase does not know how to "
                                        "undo set_default",
                                        0),
              0U)
        << reverse.refusals[2];
    EXPECT_EQ(reverse.refusals[3].rfind("change 4 (change_type orders.customer): the type was "
                                        "changed in place",
                                        0),
              0U)
        << reverse.refusals[3];
    EXPECT_TRUE(reverse.yaml.empty());
}

TEST(ReversePlan, ALongNameIsShortenedWithAHash) {
    const std::string name(46, 'm');
    const std::string undo = undo_name(name);
    EXPECT_LE(undo.size(), 48U);
    EXPECT_EQ(undo.substr(undo.size() - 5), "_undo");
    EXPECT_NE(undo, undo_name(std::string(45, 'm') + "n"));
    EXPECT_EQ(undo_name("short"), "short_undo");
}

} // namespace
} // namespace pgphase::planners
