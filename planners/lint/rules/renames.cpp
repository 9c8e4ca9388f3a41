// rename-column, rename-table and rename-enum-value. The rename itself is a brief catalog change;
// the harm is that every running app instance still uses the old name (or label) and fails.
// Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

namespace {

// ALTER TYPE ... RENAME VALUE: an app version that still writes the old label gets "invalid
// input value for enum", and one that compares with it finds nothing.
void check_enum_value_rename(CheckContext& context) {
    const json& body = context.body();
    const std::string old_value = string_field(body, "oldVal");
    if (old_value.empty()) {
        return; // ADD VALUE
    }
    const auto names = string_list(body.value("typeName", json::array()));
    if (names.empty() || context.facts().created_types.count(names.back()) != 0) {
        return;
    }
    context.report("rename-enum-value",
                   "renaming value '" + old_value + "' of enum " + quote_name(names.back()) +
                       " to '" + string_field(body, "newVal") +
                       "' breaks every running app version that still writes or compares with "
                       "the old value");
}

} // namespace

void check_renames(CheckContext& context) {
    if (context.kind() == "AlterEnumStmt") {
        check_enum_value_rename(context);
        return;
    }
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
