// What every command shares: the global options, and how a command finds its database and
// its actor. Each command lives in its own file and registers itself on the CLI11 app.
#pragma once

#include "orchestrator/pg/dsn.hpp"
#include "planners/model/plan.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace pgphase::orchestrator::cli {

struct Common {
    std::string dsn;
    std::string state_schema = "pgphase";
    std::string log_format = "text";
    std::string actor;
    bool verbose = false;
};

// --dsn, else $DATABASE_URL; throws CommandError (exit 2) with a hint when neither is set.
Dsn require_dsn(const Common& common);

// --min-soak's value ("" = none); throws CommandError (exit 2) when it is not a duration.
planners::Milliseconds parse_min_soak(const std::string& text);

// Who runs a command, for the event log: --actor, $PGPHASE_ACTOR, a CI job id, else user@host.
std::string actor(const Common& common);

// The same, pure: `env` reads a variable ("" when unset), `user_at_host` is the last resort.
std::string resolve_actor(const std::string& option,
                          const std::function<std::string(const char*)>& env,
                          const std::string& user_at_host);

} // namespace pgphase::orchestrator::cli
