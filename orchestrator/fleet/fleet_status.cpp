// Reads every target's state store, `parallel` targets at once, each on a thread of its own
// with its own connection; formats the fleet's table.
#include "orchestrator/fleet/fleet_status.hpp"

#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/fleet/text_table.hpp"
#include "orchestrator/fleet/waves.hpp"
#include "orchestrator/pg/dsn.hpp"
#include "orchestrator/pg/session.hpp"

#include <algorithm>

namespace pgphase::orchestrator::fleet {

using planners::fleet::Fleet;

std::vector<TargetStatus> fleet_status(const Fleet& fleet, const std::string& state_schema,
                                       const std::string& name) {
    std::vector<TargetStatus> out(fleet.targets.size());
    for_each_on_threads(fleet.targets.size(), fleet.parallel, [&](std::size_t i) {
        const planners::fleet::Target& target = fleet.targets[i];
        TargetStatus& status = out[i];
        status.name = target.name;
        try {
            status.migrations = status_json(Dsn(target.dsn), state_schema, name);
            status.reachable = true;
        } catch (const DatabaseError& e) {
            status.error = e.what(); // a connection error names the DSN redacted
        } catch (const std::exception& e) {
            status.error = std::string("unexpected: ") + e.what();
        }
    });
    return out;
}

nlohmann::json fleet_status_json(const Fleet& fleet, const std::vector<TargetStatus>& targets) {
    nlohmann::json list = nlohmann::json::array();
    for (const TargetStatus& target : targets) {
        nlohmann::json item = {{"name", target.name},
                               {"reachable", target.reachable},
                               {"migrations", target.migrations}};
        if (!target.reachable) {
            item["error"] = target.error;
        }
        list.push_back(std::move(item));
    }
    return {{"fleet", fleet.source_file}, {"targets", list}};
}

std::string fleet_status_text(const Fleet& fleet, const std::vector<TargetStatus>& targets) {
    std::vector<std::vector<std::string>> rows = {
        {"TARGET", "MIGRATION", "PHASE", "STEPS", "NEXT", "UPDATED"}};
    std::vector<std::string> unreachable;
    for (const TargetStatus& target : targets) {
        if (!target.reachable) {
            unreachable.push_back(target.name + ": " + target.error);
            rows.push_back({target.name, "(unreachable)", "-", "-", "-", "-"});
            continue;
        }
        if (target.migrations.empty()) {
            rows.push_back({target.name, "(none)", "-", "-", "-", "-"});
        }
        for (const nlohmann::json& m : target.migrations) {
            rows.push_back({target.name, m.value("name", ""), m.value("phase", ""),
                            std::to_string(m.value("steps_done", 0)) + "/" +
                                std::to_string(m.value("steps_total", 0)),
                            m.value("next", ""), m.value("updated_at", "")});
        }
    }
    std::string out =
        "fleet " + fleet.source_file + ": " + std::to_string(targets.size()) + " target" +
        (targets.size() == 1 ? "" : "s") +
        (unreachable.empty() ? std::string()
                             : ", " + std::to_string(unreachable.size()) + " unreachable") +
        "\n";
    out += text_table(rows);
    for (const std::string& line : unreachable) {
        out += "unreachable: " + line + "\n";
    }
    return out;
}

} // namespace pgphase::orchestrator::fleet
