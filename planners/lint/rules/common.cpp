// Helpers the checks share: the target of an ALTER TABLE and its commands. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

std::optional<TableName> altered_table(const CheckContext& context) {
    if (context.kind() != "AlterTableStmt" ||
        string_field(context.body(), "objtype") != "OBJECT_TABLE") {
        return std::nullopt;
    }
    return table_from_range_var(context.body().value("relation", json::object()));
}

std::vector<json> alter_commands(const CheckContext& context) {
    std::vector<json> out;
    if (!altered_table(context)) {
        return out;
    }
    for (const json& item : context.body().value("cmds", json::array())) {
        if (item.contains("AlterTableCmd")) {
            out.push_back(item.at("AlterTableCmd"));
        }
    }
    return out;
}

} // namespace pgphase::planners::lint
