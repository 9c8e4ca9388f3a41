// restore_column and restore_table (written by `pgphase undo`): a kept column gets its name back
// at expand, rows written since contract are filled from `down`, what was relaxed comes back
// online; rollback makes it a tombstone again. Their relaxed definitions are parsed.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::any_contains;

Catalog with_tombstone() {
    Catalog catalog = testing::fixture_catalog();
    for (auto& table : catalog.tables) {
        if (table.name == "orders") {
            table.columns.push_back(
                {"_pgphase_dropped_0badf00d_note", "text", false, std::nullopt, false, false});
            table.columns.push_back(
                {"_pgphase_written_0badf00d", "boolean", false, "true", false, false});
        }
    }
    return catalog;
}

const char* restore_note = R"yaml(
name: u
changes:
  - restore_column:
      table: orders
      column: note
      down: "'n/a'"
      tombstone:
        name: _pgphase_dropped_0badf00d_note
        marker: _pgphase_written_0badf00d
        relaxed:
          - {kind: unique, name: x, definition: "UNIQUE (note)"}
)yaml";

TEST(RestoreColumn, BringsTheColumnBackAndRollbackKeepsItAgain) {
    const Catalog catalog = with_tombstone();
    const Plan plan = testing::load(R"yaml(
name: u
changes:
  - restore_column:
      table: orders
      column: note
      down: "'n/a'"
      tombstone:
        name: _pgphase_dropped_0badf00d_note
        marker: _pgphase_written_0badf00d
        relaxed:
          - {kind: constraint, name: orders_note_key, definition: "UNIQUE (note)"}
          - {kind: default, name: note, definition: "'none'::text"}
)yaml");
    const PlannedMigration planned = plan_migration(plan, &catalog);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto expand = planned.phase_steps(Phase::expand);
    ASSERT_EQ(expand.size(), 1U);
    EXPECT_EQ(expand[0]->sql.at(0), R"(ALTER TABLE "public"."orders" RENAME COLUMN )"
                                    R"("_pgphase_dropped_0badf00d_note" TO "note")");
    EXPECT_TRUE(any_contains(expand[0]->sql, R"(NEW."_pgphase_written_0badf00d" := NULL;)"));
    EXPECT_TRUE(any_contains(expand[0]->sql, "SET DEFAULT 'none'::text"));
    EXPECT_EQ(expand[0]->undo.back(), R"(ALTER TABLE "public"."orders" RENAME COLUMN "note" TO )"
                                      R"("_pgphase_dropped_0badf00d_note")");
    EXPECT_TRUE(any_contains(expand[0]->undo,
                             R"(CREATE TRIGGER "_pgphase_written_0badf00d" BEFORE UPDATE ON )"
                             R"("public"."orders" FOR EACH ROW WHEN )"
                             R"((NEW."_pgphase_written_0badf00d" IS NULL) EXECUTE FUNCTION )"
                             R"("pgphase"."_pgphase_written_0badf00d"())"));
    const auto backfill = planned.phase_steps(Phase::backfill);
    ASSERT_GE(backfill.size(), 2U);
    ASSERT_TRUE(backfill[0]->backfill);
    EXPECT_EQ(backfill[0]->backfill->pending_predicate, R"("_pgphase_written_0badf00d" IS TRUE)");
    EXPECT_EQ(backfill[1]->sql.at(0), R"(CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS )"
                                      R"("orders_note_key" ON "public"."orders" (note))");
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 1U);
    EXPECT_TRUE(any_contains(contract[0]->sql, R"(ADD CONSTRAINT "orders_note_key" UNIQUE USING )"
                                               R"(INDEX "orders_note_key")"));
    EXPECT_TRUE(any_contains(contract[0]->sql, R"(DROP COLUMN IF EXISTS )"
                                               R"("_pgphase_written_0badf00d")"));
}

TEST(RestoreColumn, ABadRelaxedObjectIsAnErrorAtItsPosition) {
    const LoadResult loaded = load_plan_text(restore_note, "u.yaml");
    EXPECT_FALSE(loaded.plan);
    EXPECT_NE(loaded.diagnostics.to_string().find(
                  "u.yaml:12:20: error: unknown relaxed object kind \"unique\""),
              std::string::npos)
        << loaded.diagnostics.to_string();
    const LoadResult injected = load_plan_text(R"yaml(
name: u
changes:
  - restore_table:
      table: audit
      tombstone:
        name: t
        schema: pgphase_dropped
        relaxed:
          - {kind: constraint, name: c, definition: "CHECK (true); DROP TABLE users"}
)yaml",
                                               "u.yaml");
    EXPECT_FALSE(injected.plan);
    EXPECT_NE(injected.diagnostics.to_string().find("not one constraint definition"),
              std::string::npos)
        << injected.diagnostics.to_string();
}

TEST(RestoreColumn, AMissingTombstoneIsAnError) {
    const Catalog catalog = testing::fixture_catalog();
    const PlannedMigration planned = plan_migration(
        testing::load(std::string(restore_note)
                          .replace(std::string(restore_note).find("unique"), 6, "constraint")),
        &catalog);
    ASSERT_TRUE(planned.diagnostics.has_errors());
    EXPECT_NE(planned.diagnostics.to_string().find("the kept column \"orders\".\""
                                                   "_pgphase_dropped_0badf00d_note\" does not "
                                                   "exist"),
              std::string::npos)
        << planned.diagnostics.to_string();
}

} // namespace
} // namespace pgphase::planners
