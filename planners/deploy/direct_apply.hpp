// Whether `pgphase deploy` can apply a migration file as written, in one transaction with its
// history row, and which statements it then runs. A file that needs a statement outside a
// transaction block (CONCURRENTLY, VACUUM, ...) or controls transactions itself (SAVEPOINT,
// ROLLBACK, a COMMIT before its end) is run in phases instead, where each such statement is a
// step of its own that a rerun recovers. Pure.
#pragma once

#include "planners/lint/source.hpp"

#include <string>
#include <vector>

namespace pgphase::planners::deploy {

struct DirectApply {
    bool possible = false;
    std::string reason;                             // why not, naming the statement and its line
    std::vector<const lint::Statement*> statements; // in order; a wrapping BEGIN/COMMIT left out
};

DirectApply direct_apply(const lint::SourceFile& file);

// The statement cannot run inside a transaction block: CREATE/DROP INDEX CONCURRENTLY,
// REINDEX CONCURRENTLY, VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM, ...
bool runs_outside_transaction(const lint::Statement& statement);

} // namespace pgphase::planners::deploy
