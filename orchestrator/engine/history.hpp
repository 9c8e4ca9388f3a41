// `pgphase history`: the event log of the state store (phase transitions, soak overrides,
// pauses), who wrote each entry and when. Reads the state store only.
#pragma once

#include "orchestrator/pg/dsn.hpp"
#include "orchestrator/state/store.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

// Every event of migration `name` (all migrations when empty), oldest first. step.done and
// step.undone are left out unless `steps`.
std::vector<EventRecord> read_history(const Dsn& dsn, const std::string& state_schema,
                                      const std::string& name, bool steps);

nlohmann::json history_json(const std::vector<EventRecord>& events);
// One line per event: `at  migration  event  by actor (command)  detail`. Pure.
std::string history_text(const std::vector<EventRecord>& events);

} // namespace pgphase::orchestrator
