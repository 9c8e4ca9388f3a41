// Which columns a statement drops (ALTER TABLE ... DROP COLUMN), read with the real PostgreSQL
// parser. Used on pgphase's own undo statements, so that a rollback knows which columns other
// migrations' version-schema views must stop showing before they go. Pure.
#pragma once

#include "planners/model/step.hpp"

#include <string>
#include <vector>

namespace pgphase::planners {

struct DroppedColumn {
    QualifiedName table; // schema "" when the statement does not name one
    std::string column;
    bool operator==(const DroppedColumn&) const = default;
};

// The columns `sql` (one or more statements) drops; none for text that does not parse.
std::vector<DroppedColumn> dropped_columns(const std::string& sql);

} // namespace pgphase::planners
