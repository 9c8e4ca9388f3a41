// What every command shares: the global options, and how a command finds its database and
// its actor. Each command lives in its own file and registers itself on the CLI11 app.
#pragma once

#include "orchestrator/pg/dsn.hpp"

#include <CLI/CLI.hpp>
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

// Who runs a command, for the event log: --actor, $PGPHASE_ACTOR, a CI job id, else the user.
std::string actor(const Common& common);

} // namespace pgphase::orchestrator::cli
