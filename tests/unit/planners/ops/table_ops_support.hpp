// Helpers for the table operations' tests: the fixture catalog plus a table "accounts" whose
// foreign key references "users", recorded on both tables as the catalog reader records it.
#pragma once

#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::testing {

inline planners::Catalog catalog_with_foreign_key() {
    using planners::CatalogColumn;
    planners::Catalog catalog = fixture_catalog();
    catalog.tables.push_back(
        fixture_table("public", "accounts",
                      {CatalogColumn{"id", "bigint", true, std::nullopt, false, false},
                       CatalogColumn{"user_id", "bigint", true, std::nullopt, false, false}}));
    const std::string definition = "FOREIGN KEY (user_id) REFERENCES users(id)";
    catalog.tables.back().constraints.push_back(
        {"accounts_user_id_fkey", 'f', true, {"user_id"}, definition});
    catalog.relations.push_back({"public", "accounts", 'r'});
    for (auto& table : catalog.tables) {
        if (table.name == "users") {
            table.constraints.push_back({"accounts_user_id_fkey", 'f', true, {"id"}, definition});
        }
    }
    return catalog;
}

inline planners::PlannedMigration plan_with(const planners::Catalog& catalog,
                                            const std::string& yaml,
                                            planners::Catalog* working = nullptr) {
    planners::Catalog copy = catalog;
    planners::PlannedMigration planned = planners::plan_migration(load(yaml), &copy);
    if (working != nullptr) {
        *working = copy;
    }
    return planned;
}

inline bool has_error(const planners::PlannedMigration& planned, const std::string& text) {
    for (const auto& d : planned.diagnostics.all()) {
        if (d.severity == planners::Severity::error &&
            (d.message.find(text) != std::string::npos || d.hint.find(text) != std::string::npos)) {
            return true;
        }
    }
    return false;
}

// The working catalog as the plan's changes leave it: what later changes and the version
// schema see. Runs the rewrites directly, as plan_migration does.
inline planners::Catalog working_catalog(planners::Catalog catalog, const std::string& yaml) {
    using namespace planners;
    const Plan plan = load(yaml);
    const PlanningOptions options;
    Diagnostics diagnostics;
    std::vector<std::string> unchecked;
    for (std::size_t i = 0; i < plan.changes.size(); ++i) {
        OpContext context{plan,     plan.changes[i], static_cast<int>(i), options,
                          &catalog, diagnostics,     unchecked,           {}};
        unit_of(plan.changes[i].operation).plan(context, plan.changes[i].operation);
    }
    EXPECT_FALSE(diagnostics.has_errors()) << diagnostics.to_string();
    return catalog;
}

} // namespace pgphase::testing
