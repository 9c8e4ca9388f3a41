// Helpers for operation tests: load a plan from YAML text and plan it against the fixture
// catalog (or none).
#pragma once

#include "planners/load/plan_loader.hpp"
#include "planners/plan/planner.hpp"
#include "tests/unit/fixture_catalog.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace pgphase::testing {

inline planners::Plan load(const std::string& yaml) {
    planners::LoadResult loaded = planners::load_plan_text(yaml, "test.yaml");
    EXPECT_TRUE(loaded.plan) << loaded.diagnostics.to_string();
    return loaded.plan ? *loaded.plan : planners::Plan{};
}

inline planners::PlannedMigration plan_with_catalog(const std::string& yaml) {
    const planners::Catalog catalog = fixture_catalog();
    return planners::plan_migration(load(yaml), &catalog);
}

// The errors among a plan's diagnostics (notes, such as a rename's reason to copy, left out).
inline std::vector<planners::Diagnostic> errors(const planners::PlannedMigration& planned) {
    std::vector<planners::Diagnostic> out;
    for (const auto& d : planned.diagnostics.all()) {
        if (d.severity == planners::Severity::error) {
            out.push_back(d);
        }
    }
    return out;
}

inline bool any_contains(const std::vector<std::string>& statements, const std::string& text) {
    return std::any_of(statements.begin(), statements.end(),
                       [&](const std::string& s) { return s.find(text) != std::string::npos; });
}

} // namespace pgphase::testing
