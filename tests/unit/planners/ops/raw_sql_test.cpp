// sql: raw statements in the named phase, `down` as undo (or an undo that fails saying there
// is none), lint findings as warnings at the plan's line:column.
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

TEST(RawSql, RunsEachStatementInThePhaseWithDownAsUndo) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - sql:
      up: |
        CREATE TABLE audit (id bigint PRIMARY KEY);
        COMMENT ON TABLE audit IS 'x; y'
      down: DROP TABLE audit
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 1U);
    const Step& step = planned.steps[0];
    EXPECT_EQ(step.phase, Phase::expand);
    EXPECT_TRUE(step.transactional);
    EXPECT_EQ(step.lock, LockLevel::access_exclusive);
    EXPECT_EQ(step.table.display(), "public.audit"); // the first table it names, for messages
    EXPECT_EQ(step.sql, (std::vector<std::string>{"CREATE TABLE audit (id bigint PRIMARY KEY)",
                                                  "COMMENT ON TABLE audit IS 'x; y'"}));
    EXPECT_EQ(step.undo, std::vector<std::string>{"DROP TABLE audit"});
}

TEST(RawSql, WithoutDownItsUndoFailsSayingSo) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - sql: {up: "CREATE TABLE audit (id bigint PRIMARY KEY)", phase: backfill}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step& step = planned.steps.at(0);
    EXPECT_EQ(step.phase, Phase::backfill);
    ASSERT_EQ(step.undo.size(), 1U);
    EXPECT_NE(step.undo[0].find("RAISE EXCEPTION"), std::string::npos);
    EXPECT_NE(step.undo[0].find("change 1 (sql) has no \"down\""), std::string::npos);
}

TEST(RawSql, NonTransactionalRunsOutsideATransactionBothWays) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - sql:
      up: CREATE INDEX CONCURRENTLY orders_ref_idx ON orders (reference)
      down: DROP INDEX CONCURRENTLY orders_ref_idx
      transactional: false
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_FALSE(planned.steps.at(0).transactional);
    EXPECT_FALSE(planned.steps.at(0).undo_transactional);
    // Concurrently outside a transaction is what lint wants: no warning.
    for (const auto& d : planned.diagnostics.all()) {
        EXPECT_EQ(d.severity, Severity::note) << planned.diagnostics.to_string();
    }
}

TEST(RawSql, LintFindingsBecomeWarningsAtThePlansLineAndColumn) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - sql:
      up: |
        COMMENT ON TABLE orders IS 'x';
          CREATE INDEX orders_ref_idx ON orders (reference);
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto& all = planned.diagnostics.all();
    ASSERT_FALSE(all.empty());
    const Diagnostic& finding = all[0];
    EXPECT_EQ(finding.severity, Severity::warning);
    EXPECT_EQ(finding.mark.file, "test.yaml");
    EXPECT_EQ(finding.mark.line, 7);
    EXPECT_EQ(finding.mark.column, 11);
    EXPECT_NE(finding.message.find("[lint create-index-non-concurrent]"), std::string::npos)
        << finding.message;
    EXPECT_NE(finding.hint.find("SHARE"), std::string::npos) << finding.hint;
}

TEST(RawSql, SaysLaterChangesDoNotSeeWhatItDoes) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - sql: {up: "ALTER TABLE orders ADD COLUMN x int"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.all().empty());
    const Diagnostic& note = planned.diagnostics.all().back();
    EXPECT_EQ(note.severity, Severity::note);
    EXPECT_EQ(note.message, "pgphase does not know what raw SQL does to tables");
    EXPECT_EQ(note.mark.line, 4);
}

} // namespace
} // namespace pgphase::planners
