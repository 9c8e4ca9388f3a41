// Reads a Catalog snapshot of one schema from pg_catalog: tables, columns with types,
// primary keys, indexes, constraints and triggers.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "planners/model/catalog.hpp"
#include "planners/model/plan.hpp"

#include <string>

namespace pgphase::orchestrator {

planners::Catalog read_catalog(Session& session, const std::string& schema);

// The catalog a plan is checked against: its schema's, and, when it brings back a table contract
// kept (restore_table, written by `pgphase undo`), the tombstone schema's too.
planners::Catalog read_planning_catalog(Session& session, const planners::Plan& plan,
                                        const std::string& state_schema);

} // namespace pgphase::orchestrator
