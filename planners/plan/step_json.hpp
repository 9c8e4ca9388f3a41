// Steps to and from JSON: how `plan --format json` prints them and how the state store keeps
// the steps planned at start, so later commands run exactly what was planned. Pure.
#pragma once

#include "planners/model/step.hpp"

#include <nlohmann/json.hpp>
#include <vector>

namespace pgphase::planners {

nlohmann::json to_json(const Step& step);
Step step_from_json(const nlohmann::json& json); // throws nlohmann::json::exception if malformed

nlohmann::json to_json(const std::vector<Step>& steps);
std::vector<Step> steps_from_json(const nlohmann::json& json);

} // namespace pgphase::planners
