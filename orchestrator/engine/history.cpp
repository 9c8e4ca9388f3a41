// Reads and renders the event log for `pgphase history`.
#include "orchestrator/engine/history.hpp"

#include "orchestrator/engine/outcome.hpp"

#include <unistd.h>

namespace pgphase::orchestrator {

std::vector<EventRecord> read_history(const Dsn& dsn, const std::string& state_schema,
                                      const std::string& name, bool steps) {
    Session session(dsn, "pgphase[" + std::to_string(::getpid()) + "] history " + name);
    StateStore store(session, state_schema, "");
    store.ensure();
    if (!name.empty() && !store.find(name) && store.events(name, true).empty()) {
        throw CommandError(ExitCode::bad_input, "no migration named \"" + name + "\"",
                           "pgphase status lists every migration");
    }
    return store.events(name, steps);
}

nlohmann::json history_json(const std::vector<EventRecord>& events) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : events) {
        out.push_back(
            {{"id", e.id},
             {"migration", e.migration},
             {"at", e.at},
             {"actor", e.actor},
             {"command", e.command.empty() ? nlohmann::json() : nlohmann::json(e.command)},
             {"event", e.event},
             {"detail", e.detail}});
    }
    return out;
}

std::string history_text(const std::vector<EventRecord>& events) {
    if (events.empty()) {
        return "no events recorded\n";
    }
    std::string out;
    for (const auto& e : events) {
        out += e.at + "  " + e.migration + "  " + e.event + "  by " + e.actor;
        if (!e.command.empty()) {
            out += " (" + e.command + ")";
        }
        if (e.detail.is_object() && !e.detail.empty()) {
            out += "  " + e.detail.dump();
        }
        out += "\n";
    }
    return out;
}

} // namespace pgphase::orchestrator
