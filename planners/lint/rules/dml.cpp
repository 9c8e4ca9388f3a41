// unbatched-update and unbatched-delete: a whole-table UPDATE or DELETE holds a row lock on
// every row until commit, so any app write to any of those rows waits for all of it. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

void check_dml(CheckContext& context) {
    const bool update = context.kind() == "UpdateStmt";
    if (!update && context.kind() != "DeleteStmt") {
        return;
    }
    const json& body = context.body();
    if (body.contains("whereClause")) {
        return;
    }
    const TableName table = table_from_range_var(body.value("relation", json::object()));
    if (context.created_here(table)) {
        return;
    }
    if (update) {
        context.report("unbatched-update",
                       "UPDATE without WHERE writes every row of " + table.display() +
                           " in one transaction, locking each row until it commits");
    } else {
        context.report("unbatched-delete",
                       "DELETE without WHERE deletes every row of " + table.display() +
                           " in one transaction, locking each row until it commits");
    }
}

} // namespace pgphase::planners::lint
