#include "orchestrator/fleet/fleet_plan.hpp"

#include "orchestrator/fleet/waves.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "orchestrator/pg/dsn.hpp"
#include "orchestrator/pg/session.hpp"
#include "planners/plan/planner.hpp"

#include <map>

namespace pgphase::orchestrator::fleet {

using planners::fleet::Fleet;

std::vector<TargetPlan> plan_fleet(const Fleet& fleet, const planners::Plan& plan,
                                   const std::string& state_schema, planners::RenderFormat format) {
    std::vector<TargetPlan> out(fleet.targets.size());
    planners::PlanningOptions options;
    options.state_schema = state_schema;
    options.version_schema = true;
    for_each_on_threads(fleet.targets.size(), fleet.parallel, [&](std::size_t i) {
        TargetPlan& target = out[i];
        try {
            Session session(Dsn(fleet.targets[i].dsn), "pgphase plan " + plan.name);
            const planners::Catalog catalog = read_catalog(session, plan.schema);
            target.reachable = true;
            const planners::PlannedMigration planned =
                planners::plan_migration(plan, &catalog, options);
            target.diagnostics = planned.diagnostics.to_string();
            target.has_errors = planned.diagnostics.has_errors();
            if (!target.has_errors) {
                target.rendered = planners::render(plan, planned, format);
            }
        } catch (const DatabaseError& e) {
            target.reachable = false;
            target.error = e.what(); // a connection error names the DSN redacted
        } catch (const std::exception& e) {
            target.reachable = false;
            target.error = std::string("unexpected: ") + e.what();
        }
    });
    return out;
}

std::string fleet_plan_text(const Fleet& fleet, const planners::Plan& plan,
                            const std::vector<TargetPlan>& targets) {
    // Groups in the order of their first target.
    std::vector<std::pair<std::string, std::vector<std::size_t>>> groups;
    std::map<std::string, std::size_t> group_of;
    std::vector<std::size_t> unreachable;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (!targets[i].reachable) {
            unreachable.push_back(i);
            continue;
        }
        const std::string outcome = targets[i].diagnostics + targets[i].rendered;
        const auto [found, added] = group_of.emplace(outcome, groups.size());
        if (added) {
            groups.emplace_back(outcome, std::vector<std::size_t>{});
        }
        groups[found->second].second.push_back(i);
    }
    std::string out =
        "plan " + plan.name + " on fleet " + fleet.source_file + ": " +
        std::to_string(targets.size()) + " targets, " + std::to_string(groups.size()) +
        " different plan" + (groups.size() == 1 ? "" : "s") +
        (unreachable.empty() ? "" : ", " + std::to_string(unreachable.size()) + " unreachable") +
        "\n";
    for (const auto& [outcome, members] : groups) {
        std::string names;
        for (const std::size_t i : members) {
            names += (names.empty() ? "" : ", ") + fleet.targets[i].name;
        }
        out += "\n== " + names + " (" + std::to_string(members.size()) + " target" +
               (members.size() == 1 ? "" : "s") + ") ==\n" + outcome;
        if (!outcome.empty() && outcome.back() != '\n') {
            out += "\n";
        }
    }
    for (const std::size_t i : unreachable) {
        out += "\nunreachable: " + fleet.targets[i].name + ": " + targets[i].error + "\n";
    }
    return out;
}

nlohmann::json fleet_plan_json(const Fleet& fleet, const planners::Plan& plan,
                               const std::vector<TargetPlan>& targets) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const TargetPlan& target = targets[i];
        nlohmann::json item = {{"name", fleet.targets[i].name},
                               {"reachable", target.reachable},
                               {"diagnostics", target.diagnostics},
                               {"plan", target.rendered.empty()
                                            ? nlohmann::json(nullptr)
                                            : nlohmann::json::parse(target.rendered)}};
        if (!target.reachable) {
            item["error"] = target.error;
        }
        list.push_back(std::move(item));
    }
    return {{"fleet", fleet.source_file},
            {"migration", plan.name},
            {"exit_code", fleet_plan_exit_code(targets)},
            {"targets", list}};
}

int fleet_plan_exit_code(const std::vector<TargetPlan>& targets) {
    int code = 0;
    for (const TargetPlan& target : targets) {
        if (!target.reachable) {
            return 1;
        }
        if (target.has_errors) {
            code = 2;
        }
    }
    return code;
}

} // namespace pgphase::orchestrator::fleet
