// Shared pieces of the rewrites: sync trigger names sort in plan order, however many changes
// a plan has, since PostgreSQL fires a table's BEFORE triggers in name order.
#include "tests/unit/planners/ops/ops_test_support.hpp"

#include <regex>

namespace pgphase::testing {
namespace {

// The names of the triggers the plan's expand steps create, in plan order.
std::vector<std::string> trigger_names(const planners::PlannedMigration& planned) {
    static const std::regex create_trigger(R"re(CREATE TRIGGER "([^"]+)")re");
    std::vector<std::string> names;
    for (const auto* step : planned.phase_steps(planners::Phase::expand)) {
        for (const auto& sql : step->sql) {
            std::smatch match;
            if (std::regex_search(sql, match, create_trigger)) {
                names.push_back(match[1]);
            }
        }
    }
    return names;
}

TEST(SyncTriggerNames, SortInPlanOrderWithTenOrMoreChanges) {
    std::string yaml = "name: many\nchanges:\n";
    for (int i = 1; i <= 11; ++i) {
        yaml += "  - add_column: {table: orders, column: {name: c" + std::to_string(i) +
                ", type: text}, up: upper(status)}\n";
    }
    const auto planned = plan_with_catalog(yaml);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto names = trigger_names(planned);
    ASSERT_EQ(names.size(), 11U);
    EXPECT_EQ(names.front(), "pgphase_many_01");
    EXPECT_EQ(names.back(), "pgphase_many_11");
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()))
        << "PostgreSQL would fire them out of plan order";
}

TEST(SyncTriggerNames, KeepOneDigitInPlansOfUpToNineChanges) {
    const auto planned = plan_with_catalog(
        "name: few\nchanges:\n"
        "  - add_column: {table: orders, column: {name: c, type: text}, up: upper(status)}\n");
    EXPECT_EQ(trigger_names(planned), (std::vector<std::string>{"pgphase_few_1"}));
}

} // namespace
} // namespace pgphase::testing
