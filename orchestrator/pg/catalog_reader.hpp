// Reads a Catalog snapshot of one schema from pg_catalog: tables, columns with types,
// primary keys, indexes, constraints and triggers.
#pragma once

#include "orchestrator/pg/session.hpp"
#include "planners/model/catalog.hpp"

#include <string>

namespace pgphase::orchestrator {

planners::Catalog read_catalog(Session& session, const std::string& schema);

} // namespace pgphase::orchestrator
