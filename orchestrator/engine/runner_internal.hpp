// Helpers the MigrationRunner's files share: the next allowed command, lock_timeout SQL, the
// application_name every pgphase session shows. Internal to orchestrator/engine; include it
// from nowhere else.
#pragma once

#include "orchestrator/state/store.hpp"
#include "planners/model/plan.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <string>
#include <unistd.h>
#include <vector>

namespace pgphase::orchestrator::runner {

inline const char* next_command(MigrationPhase phase) {
    switch (phase) {
    case MigrationPhase::expanding:
        return "start";
    case MigrationPhase::expanded:
    case MigrationPhase::backfilling:
        return "backfill";
    case MigrationPhase::backfilled:
    case MigrationPhase::contracting:
        return "complete";
    case MigrationPhase::rolling_back:
        return "rollback";
    case MigrationPhase::rolled_back:
        return "start";
    case MigrationPhase::completed:
        return "";
    }
    return "";
}

inline std::string next_hint(MigrationPhase phase, const std::string& file) {
    const std::string command = next_command(phase);
    if (command.empty()) {
        return "the migration is complete; nothing is left to run";
    }
    return "next allowed command: pgphase " + command + " " + file;
}

inline std::string lock_timeout_sql(planners::Milliseconds timeout, bool local) {
    return std::string(local ? "SET LOCAL" : "SET") +
           " lock_timeout = " + planners::quote_literal(std::to_string(timeout.count()) + "ms");
}

inline bool contains(const std::vector<int>& values, int value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

inline std::string application_name(const std::string& command, const std::string& migration) {
    return "pgphase[" + std::to_string(::getpid()) + "] " + command + " " + migration;
}

} // namespace pgphase::orchestrator::runner
