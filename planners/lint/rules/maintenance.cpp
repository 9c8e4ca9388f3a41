// cluster and vacuum-full: both rewrite the table under ACCESS EXCLUSIVE. Pure.
#include "planners/lint/rules/checks.hpp"

namespace pgphase::planners::lint {

void check_maintenance(CheckContext& context) {
    const json& body = context.body();
    if (context.kind() == "ClusterStmt") {
        const json& relation = body.value("relation", json::object());
        if (relation.empty()) {
            context.report("cluster", "CLUSTER without a table rewrites every clustered table, "
                                      "each under ACCESS EXCLUSIVE");
            return;
        }
        const TableName table = table_from_range_var(relation);
        if (!context.created_here(table)) {
            context.report("cluster",
                           "CLUSTER rewrites " + table.display() + " under ACCESS EXCLUSIVE");
        }
    } else if (context.kind() == "VacuumStmt" && body.value("is_vacuumcmd", false)) {
        bool full = false;
        for (const json& option : body.value("options", json::array())) {
            const json& definition = option.value("DefElem", json::object());
            // VACUUM (FULL false) is written with an argument; treat any FULL without one,
            // or with a true-ish one, as FULL.
            if (string_field(definition, "defname") == "full") {
                const json& argument = definition.value("arg", json::object());
                const std::string value = argument.contains("String")
                                              ? argument.at("String").value("sval", "")
                                              : std::string();
                full = value != "false" && value != "off" && value != "0";
            }
        }
        if (!full) {
            return;
        }
        std::string tables;
        for (const json& relation : body.value("rels", json::array())) {
            const TableName table = table_from_range_var(
                relation.value("VacuumRelation", json::object()).value("relation", json::object()));
            tables += (tables.empty() ? "" : ", ") + table.display();
        }
        context.report("vacuum-full", "VACUUM FULL rewrites " +
                                          (tables.empty() ? std::string("every table") : tables) +
                                          " under ACCESS EXCLUSIVE");
    }
}

} // namespace pgphase::planners::lint
