// Loading change_type: every field, defaults, and bad input reported at file:line:column.
#include "planners/load/plan_loader.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners {
namespace {

std::string errors(const LoadResult& result) {
    std::string out;
    for (const auto& d : result.diagnostics.all()) {
        out += std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + ": " +
               d.message + (d.hint.empty() ? "" : " (hint: " + d.hint + ")") + "\n";
    }
    return out;
}

TEST(ChangeTypeLoader, LoadsEveryField) {
    const LoadResult result = load_plan_text(R"(name: m
changes:
  - change_type:
      table: events
      column: payload
      type: jsonb
      up: payload::jsonb
      down: payload::text
)",
                                             "plan.yaml");
    ASSERT_TRUE(result.plan) << errors(result);
    const auto& op = std::get<ChangeType>(result.plan->changes.at(0).operation);
    EXPECT_EQ(op.table, "events");
    EXPECT_EQ(op.column, "payload");
    EXPECT_EQ(op.type.sql, "jsonb");
    ASSERT_TRUE(op.up && op.down);
    EXPECT_EQ(op.up->sql, "payload::jsonb");
    EXPECT_EQ(op.down->column_refs, (std::vector<std::string>{"payload"}));
    EXPECT_EQ(operation_name(result.plan->changes[0].operation), "change_type");
}

TEST(ChangeTypeLoader, UpAndDownAreOptional) {
    const LoadResult result = load_plan_text(
        "name: m\nchanges:\n  - change_type: {table: t, column: c, type: bigint}\n", "plan.yaml");
    ASSERT_TRUE(result.plan) << errors(result);
    const auto& op = std::get<ChangeType>(result.plan->changes.at(0).operation);
    EXPECT_FALSE(op.up);
    EXPECT_FALSE(op.down);
}

TEST(ChangeTypeLoader, ReportsAMissingTypeAtTheOperation) {
    const LoadResult result =
        load_plan_text("name: m\nchanges:\n  - change_type: {table: t, column: c}\n", "plan.yaml");
    EXPECT_FALSE(result.plan);
    EXPECT_EQ(errors(result), "3:18: change_type is missing required field \"type\"\n");
}

TEST(ChangeTypeLoader, ReportsAMisspelledKeyWithAHint) {
    const LoadResult result = load_plan_text(
        "name: m\nchanges:\n  - change_type: {table: t, column: c, type: int, dwon: c::text}\n",
        "plan.yaml");
    EXPECT_FALSE(result.plan);
    EXPECT_EQ(errors(result),
              "3:51: unknown key \"dwon\" in change_type (hint: did you mean \"down\"?)\n");
}

TEST(ChangeTypeLoader, ReportsABadTypeAndAnUpThatIsNotOneExpression) {
    const LoadResult result = load_plan_text(R"(name: m
changes:
  - change_type:
      table: t
      column: c
      type: "varchar(("
      up: "c::int; DROP TABLE t"
)",
                                             "plan.yaml");
    EXPECT_FALSE(result.plan);
    const std::string all = errors(result);
    EXPECT_NE(all.find("6:13: invalid type for \"type\""), std::string::npos) << all;
    EXPECT_NE(all.find("7:11: invalid expression for \"up\""), std::string::npos) << all;
}

} // namespace
} // namespace pgphase::planners
