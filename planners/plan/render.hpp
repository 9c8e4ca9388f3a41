// Human and machine renderings of a planned migration, for `pgphase plan`. Pure.
#pragma once

#include "planners/model/plan.hpp"
#include "planners/plan/planner.hpp"

#include <string>

namespace pgphase::planners {

enum class RenderFormat { text, sql, json };

std::string render(const Plan& plan, const PlannedMigration& planned, RenderFormat format);

// How a backfill batch would read, for display: the engine builds the real statement.
std::string describe_backfill(const BackfillTask& task);

} // namespace pgphase::planners
