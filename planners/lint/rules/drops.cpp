// drop-column and drop-table: data loss, and failures in app versions still using them.
// Tables created earlier in the same file hold no data yet and are not flagged. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

void check_drops(CheckContext& context) {
    if (const auto table = altered_table(context)) {
        if (context.created_here(*table)) {
            return;
        }
        for (const json& cmd : alter_commands(context)) {
            if (string_field(cmd, "subtype") == "AT_DropColumn") {
                context.report("drop-column",
                               "dropping " + table->display() + "." +
                                   quote_name(string_field(cmd, "name")) +
                                   " loses its data and breaks running app versions that "
                                   "still read or write it");
            }
        }
        return;
    }
    if (context.kind() != "DropStmt" ||
        string_field(context.body(), "removeType") != "OBJECT_TABLE") {
        return;
    }
    for (const json& object : context.body().value("objects", json::array())) {
        const auto names = string_list(object);
        if (names.empty()) {
            continue;
        }
        TableName table;
        table.name = names.back();
        if (names.size() > 1) {
            table.schema = names[names.size() - 2];
        }
        if (context.created_here(table)) {
            continue;
        }
        context.report("drop-table", "dropping " + table.display() +
                                         " loses its data and breaks running app versions that "
                                         "still use it");
    }
}

} // namespace pgphase::planners::lint
