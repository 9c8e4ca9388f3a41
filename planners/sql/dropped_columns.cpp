// ALTER TABLE ... DROP COLUMN read from libpg_query's parse tree. Pure.
#include "planners/sql/dropped_columns.hpp"

#include <nlohmann/json.hpp>
#include <pg_query.h>

namespace pgphase::planners {

std::vector<DroppedColumn> dropped_columns(const std::string& sql) {
    std::vector<DroppedColumn> out;
    PgQueryParseResult result = pg_query_parse(sql.c_str());
    const bool parsed = result.error == nullptr;
    const nlohmann::json tree =
        parsed ? nlohmann::json::parse(result.parse_tree) : nlohmann::json::object();
    pg_query_free_parse_result(result);
    for (const auto& raw : tree.value("stmts", nlohmann::json::array())) {
        const auto& stmt = raw.value("stmt", nlohmann::json::object());
        if (!stmt.contains("AlterTableStmt")) {
            continue;
        }
        const auto& alter = stmt.at("AlterTableStmt");
        const auto& relation = alter.value("relation", nlohmann::json::object());
        const QualifiedName table{relation.value("schemaname", ""), relation.value("relname", "")};
        for (const auto& cmd : alter.value("cmds", nlohmann::json::array())) {
            const auto& command = cmd.value("AlterTableCmd", nlohmann::json::object());
            if (command.value("subtype", "") == "AT_DropColumn") {
                out.push_back({table, command.value("name", "")});
            }
        }
    }
    return out;
}

} // namespace pgphase::planners
