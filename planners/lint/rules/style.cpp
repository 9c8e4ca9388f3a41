// prefer-timestamptz and prefer-identity: style, reported once per statement, on new tables
// too (that is where the type is chosen). Pure.
#include "planners/lint/rules/checks.hpp"

#include <set>

namespace pgphase::planners::lint {

namespace {

struct Columns {
    std::vector<std::string> timestamps;
    std::vector<std::string> serials;

    void add(const std::string& name, const ColumnType& type) {
        static const std::set<std::string> serial_types = {"serial", "bigserial", "smallserial"};
        if (type.name == "timestamp") {
            timestamps.push_back(quote_name(name));
        } else if (serial_types.count(type.name) != 0) {
            serials.push_back(quote_name(name) + " (" + type.name + ")");
        }
    }
};

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

} // namespace

void check_style(CheckContext& context) {
    Columns columns;
    TableName table;
    if (context.kind() == "CreateStmt") {
        table = table_from_range_var(context.body().value("relation", json::object()));
        for (const json& element : context.body().value("tableElts", json::array())) {
            if (element.contains("ColumnDef")) {
                const json& column = element.at("ColumnDef");
                columns.add(string_field(column, "colname"),
                            column_type(column.value("typeName", json::object())));
            }
        }
    } else if (const auto altered = altered_table(context)) {
        table = *altered;
        for (const json& cmd : alter_commands(context)) {
            const std::string subtype = string_field(cmd, "subtype");
            if (subtype == "AT_AddColumn") {
                const json& column = cmd.at("def").at("ColumnDef");
                columns.add(string_field(column, "colname"),
                            column_type(column.value("typeName", json::object())));
            } else if (subtype == "AT_AlterColumnType") {
                columns.add(
                    string_field(cmd, "name"),
                    column_type(cmd.at("def").at("ColumnDef").value("typeName", json::object())));
            }
        }
    }
    const char* plural_ts = columns.timestamps.size() == 1 ? "" : "s";
    if (!columns.timestamps.empty()) {
        context.report("prefer-timestamptz",
                       std::string("column") + plural_ts + " " + join(columns.timestamps) + " of " +
                           table.display() +
                           (columns.timestamps.size() == 1 ? " stores" : " store") +
                           " timestamp without time zone");
    }
    if (!columns.serials.empty()) {
        context.report("prefer-identity",
                       "column" + std::string(columns.serials.size() == 1 ? "" : "s") + " " +
                           join(columns.serials) + " of " + table.display() +
                           (columns.serials.size() == 1 ? " uses" : " use") + " a serial type");
    }
}

} // namespace pgphase::planners::lint
