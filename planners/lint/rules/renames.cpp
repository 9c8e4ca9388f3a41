// rename-column and rename-table. The rename itself is a brief catalog change; the harm is
// that every running app instance still queries the old name and fails. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

void check_renames(CheckContext& context) {
    if (context.kind() != "RenameStmt") {
        return;
    }
    const json& body = context.body();
    const std::string type = string_field(body, "renameType");
    if (type != "OBJECT_COLUMN" && type != "OBJECT_TABLE") {
        return;
    }
    if (type == "OBJECT_COLUMN" && string_field(body, "relationType") != "OBJECT_TABLE") {
        return; // a view's or a composite type's column
    }
    const TableName table = table_from_range_var(body.value("relation", json::object()));
    if (context.created_here(table)) {
        return;
    }
    const std::string new_name = quote_name(string_field(body, "newname"));
    if (type == "OBJECT_COLUMN") {
        context.report("rename-column",
                       "renaming " + table.display() + "." +
                           quote_name(string_field(body, "subname")) + " to " + new_name +
                           " breaks every running app version that still uses the old name");
    } else {
        context.report("rename-table", "renaming " + table.display() + " to " + new_name +
                                           " breaks every running app version that still uses "
                                           "the old name");
    }
}

} // namespace pgphase::planners::lint
