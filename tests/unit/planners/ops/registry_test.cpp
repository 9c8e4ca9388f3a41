// The registry of operation units: one unit per Operation alternative, names unique, and the
// loader and planner reach every operation through it.
#include "planners/load/plan_loader.hpp"
#include "planners/ops/registry.hpp"

#include <gtest/gtest.h>
#include <set>
#include <string>
#include <variant>

namespace pgphase::planners {
namespace {

TEST(OperationRegistry, HasExactlyOneUnitForEveryOperationAlternative) {
    std::set<std::size_t> indexes;
    for (const OperationUnit* unit : operation_units()) {
        EXPECT_LT(unit->index, std::variant_size_v<Operation>) << unit->name;
        EXPECT_TRUE(indexes.insert(unit->index).second) << unit->name << " registered twice";
        EXPECT_NE(unit->load, nullptr) << unit->name;
        EXPECT_NE(unit->plan, nullptr) << unit->name;
        EXPECT_NE(unit->canonical, nullptr) << unit->name;
    }
    EXPECT_EQ(indexes.size(), std::variant_size_v<Operation>);
}

TEST(OperationRegistry, NamesAreUniqueAndFoundByName) {
    std::set<std::string> names;
    for (const OperationUnit* unit : operation_units()) {
        EXPECT_TRUE(names.insert(std::string(unit->name)).second) << unit->name;
        EXPECT_EQ(find_unit(unit->name), unit);
    }
    EXPECT_EQ(find_unit("rename_colum"), nullptr);
}

TEST(OperationRegistry, LoadedChangesAreNamedByTheirUnit) {
    const std::string text = "name: m\n"
                             "changes:\n"
                             "  - rename_column: {table: users, from: email, to: email_address}\n"
                             "  - drop_index: {name: users_email_idx}\n"
                             "  - backfill: {table: users, set: {email: \"lower(email)\"}}\n";
    const LoadResult loaded = load_plan_text(text, "registry.yaml");
    ASSERT_TRUE(loaded.plan) << loaded.diagnostics.to_string();
    ASSERT_EQ(loaded.plan->changes.size(), 3U);
    EXPECT_EQ(operation_name(loaded.plan->changes[0].operation), "rename_column");
    EXPECT_EQ(operation_name(loaded.plan->changes[1].operation), "drop_index");
    EXPECT_EQ(operation_name(loaded.plan->changes[2].operation), "backfill");
    EXPECT_EQ(&unit_of(loaded.plan->changes[2].operation), find_unit("backfill"));
}

} // namespace
} // namespace pgphase::planners
