// Names of phases and lock levels as PostgreSQL spells them. Pure.
#include "planners/model/step.hpp"

#include "planners/sql/quote.hpp"

#include <algorithm>

namespace pgphase::planners {

const char* phase_name(Phase phase) {
    switch (phase) {
    case Phase::expand:
        return "expand";
    case Phase::backfill:
        return "backfill";
    case Phase::contract:
        return "contract";
    }
    return "expand";
}

const char* lock_name(LockLevel lock) {
    switch (lock) {
    case LockLevel::none:
        return "none";
    case LockLevel::access_share:
        return "ACCESS SHARE";
    case LockLevel::row_share:
        return "ROW SHARE";
    case LockLevel::row_exclusive:
        return "ROW EXCLUSIVE";
    case LockLevel::share_update_exclusive:
        return "SHARE UPDATE EXCLUSIVE";
    case LockLevel::share:
        return "SHARE";
    case LockLevel::share_row_exclusive:
        return "SHARE ROW EXCLUSIVE";
    case LockLevel::exclusive:
        return "EXCLUSIVE";
    case LockLevel::access_exclusive:
        return "ACCESS EXCLUSIVE";
    }
    return "none";
}

std::string QualifiedName::sql() const {
    return quote_ident(schema) + "." + quote_ident(name);
}

std::string keyless_walk_refusal(const QualifiedName& table, const std::string& server_version) {
    return "table " + table.display() +
           " has no primary key, and walking it by ctid page ranges needs PostgreSQL 14 or "
           "later (the server is " +
           server_version + ")";
}

std::string QualifiedName::display() const {
    return name.empty() ? schema : schema + "." + name;
}

bool has_phase(const std::vector<Step>& steps, Phase phase) {
    return std::any_of(steps.begin(), steps.end(),
                       [phase](const Step& step) { return step.phase == phase; });
}

} // namespace pgphase::planners
