// Loading the constraint operations: defaults (PostgreSQL's constraint names, NO ACTION) and
// every mistake reported at its file:line:column with a hint where one helps.
#include "planners/load/plan_loader.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <string>
#include <variant>

namespace pgphase::planners {
namespace {

LoadResult load_change(const std::string& change) {
    return load_plan_text("name: m\nchanges:\n  - " + change + "\n", "plan.yaml");
}

// Exactly one error, at line 3 (the change) and `column`, with this message and hint.
::testing::AssertionResult HasOnlyError(const LoadResult& result, int line, int column,
                                        const std::string& message, const std::string& hint = {}) {
    const auto& all = result.diagnostics.all();
    if (result.plan || all.size() != 1) {
        return ::testing::AssertionFailure() << "expected one error, got:\n"
                                             << result.diagnostics.to_string();
    }
    const Diagnostic& d = all[0];
    if (d.mark.file != "plan.yaml" || d.mark.line != line || d.mark.column != column ||
        d.message != message || d.hint != hint) {
        return ::testing::AssertionFailure()
               << "expected plan.yaml:" << line << ":" << column << ": " << message << " (hint: \""
               << hint << "\"), got:\n"
               << result.diagnostics.to_string();
    }
    return ::testing::AssertionSuccess();
}

template <typename Op> Op only_change(const LoadResult& result) {
    EXPECT_TRUE(result.plan) << result.diagnostics.to_string();
    if (!result.plan) {
        return Op{};
    }
    return std::get<Op>(result.plan->changes.at(0).operation);
}

TEST(ConstraintLoader, ForeignKeyDefaultsToPostgresNameAndNoAction) {
    const auto fk = only_change<AddForeignKey>(
        load_change("add_foreign_key: {table: orders, columns: [user_id], references: {table: "
                    "users}}"));
    EXPECT_EQ(fk.name, "orders_user_id_fkey");
    EXPECT_EQ(fk.on_delete, "NO ACTION");
    EXPECT_EQ(fk.on_update, "NO ACTION");
    EXPECT_TRUE(fk.references_columns.empty());
    EXPECT_FALSE(fk.index);
}

TEST(ConstraintLoader, ForeignKeyActionsAcceptSnakeCaseOrSqlWords) {
    const auto fk = only_change<AddForeignKey>(load_change(
        "add_foreign_key: {table: orders, columns: [user_id], references: {table: users, "
        "columns: [id]}, on_delete: set_null, on_update: CASCADE, index: true, name: fk}"));
    EXPECT_EQ(fk.name, "fk");
    EXPECT_EQ(fk.on_delete, "SET NULL");
    EXPECT_EQ(fk.on_update, "CASCADE");
    EXPECT_TRUE(fk.index);
}

TEST(ConstraintLoader, UniqueAndPrimaryKeyDefaultNames) {
    EXPECT_EQ(only_change<AddUnique>(
                  load_change("add_unique: {table: orders, columns: [user_id, reference]}"))
                  .name,
              "orders_user_id_reference_key");
    EXPECT_EQ(
        only_change<AddPrimaryKey>(load_change("add_primary_key: {table: events, columns: [id]}"))
            .name,
        "events_pkey");
}

TEST(ConstraintLoader, ScalarUpOfACheckSetsItsOneColumn) {
    const auto check = only_change<AddCheck>(
        load_change(R"y(add_check: {table: t, name: c, check: "price >= 0", up: "abs(price)"})y"));
    ASSERT_EQ(check.up.size(), 1U);
    EXPECT_EQ(check.up[0].first, "price");
    EXPECT_EQ(check.up[0].second.sql, "abs(price)");
}

TEST(ConstraintLoader, ScalarUpIsRefusedWhenTheCheckReadsSeveralColumns) {
    EXPECT_TRUE(
        HasOnlyError(load_change(R"(add_check: {table: t, name: c, check: "a < b", up: "b"})"), 3,
                     56, "\"up\" must name the column it sets: the check reads 2 columns",
                     "write up as a mapping, e.g. up: {price: \"abs(price)\"}"));
}

TEST(ConstraintLoader, UnknownKeyInAddCheckSuggestsTheRightOne) {
    EXPECT_TRUE(
        HasOnlyError(load_change(R"(add_check: {table: t, name: c, check: "a > 0", upp: "1"})"), 3,
                     52, R"(unknown key "upp" in add_check)", R"(did you mean "up"?)"));
}

TEST(ConstraintLoader, UnknownActionSuggestsTheClosest) {
    EXPECT_TRUE(HasOnlyError(load_change("add_foreign_key: {table: t, columns: [a], references: "
                                         "{table: p}, on_delete: cascad}"),
                             3, 82, R"(unknown on_delete action "cascad")",
                             R"(did you mean "cascade"?)"));
}

TEST(ConstraintLoader, ReferencedColumnsMustMatchInNumber) {
    EXPECT_TRUE(HasOnlyError(load_change("add_foreign_key: {table: t, columns: [a, b], "
                                         "references: {table: p, columns: [x]}}"),
                             3, 62, R"(foreign key "t_a_b_fkey" has 2 columns but references 1)",
                             "list one referenced column for each column, in the same order"));
}

TEST(ConstraintLoader, UniqueNeedsColumns) {
    EXPECT_TRUE(HasOnlyError(load_change("add_unique: {table: t, columns: []}"), 3, 37,
                             R"("columns" must be a non-empty list of column names)",
                             "write e.g. columns: [user_id]"));
}

TEST(ConstraintLoader, RenameConstraintToItselfIsAnError) {
    EXPECT_TRUE(HasOnlyError(load_change("rename_constraint: {table: t, from: c, to: c}"), 3, 48,
                             R"(rename_constraint renames "c" to itself)"));
}

TEST(ConstraintLoader, ChecksumCoversEveryFieldOfTheConstraintOperations) {
    const std::vector<std::string> variants = {
        "add_foreign_key: {table: t, columns: [a], references: {table: p}}",
        "add_foreign_key: {table: t, columns: [a], references: {table: p}, on_delete: cascade}",
        "add_foreign_key: {table: t, columns: [a], references: {table: p}, on_update: cascade}",
        "add_foreign_key: {table: t, columns: [a], references: {table: p}, index: true}",
        "add_foreign_key: {table: t, columns: [a], references: {table: p, columns: [b]}}",
        "add_check: {table: t, name: c, check: \"a > 0\"}",
        "add_check: {table: t, name: c, check: \"a > 0\", up: \"1\"}",
        "add_unique: {table: t, columns: [a]}",
        "add_primary_key: {table: t, columns: [a]}",
        "drop_constraint: {table: t, name: c}",
        "rename_constraint: {table: t, from: c, to: d}",
    };
    std::vector<std::string> sums;
    for (const auto& change : variants) {
        const LoadResult loaded = load_change(change);
        ASSERT_TRUE(loaded.plan) << change << "\n" << loaded.diagnostics.to_string();
        sums.push_back(checksum(*loaded.plan));
    }
    std::sort(sums.begin(), sums.end());
    EXPECT_EQ(std::unique(sums.begin(), sums.end()), sums.end());
}

} // namespace
} // namespace pgphase::planners
