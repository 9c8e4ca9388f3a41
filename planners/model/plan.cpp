// Positions inside a plan's raw SQL. Pure. (An operation's name and the plan checksum come
// from each operation's unit: planners/ops/registry.cpp.)
#include "planners/model/plan.hpp"

namespace pgphase::planners {

SourceMark locate(const SqlText& sql, int line, int column) {
    SourceMark at = sql.mark;
    if (!sql.mapped || line <= 0 || column <= 0 || (line > 1 && !sql.block)) {
        return at;
    }
    at.line += line - 1;
    at.column += column - 1;
    return at;
}

} // namespace pgphase::planners
