// missing-lock-timeout: once per file, at the first statement that takes ACCESS EXCLUSIVE on
// a table that existed before the file, when no SET lock_timeout came before it. A statement
// waiting for that lock makes every later query on the table wait behind it. Pure.
#include "planners/lint/rules/checks.hpp"

#include <set>

namespace pgphase::planners::lint {

namespace {

// ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (PostgreSQL 15,
// AlterTableGetLockLevel). ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE.
bool is_weaker_command(const json& cmd) {
    static const std::set<std::string> weaker = {
        "AT_ValidateConstraint", "AT_SetStatistics",  "AT_ClusterOn",     "AT_DropCluster",
        "AT_SetOptions",         "AT_ResetOptions",   "AT_SetRelOptions", "AT_ResetRelOptions",
        "AT_AttachPartition",    "AT_DetachPartition"};
    const std::string subtype = string_field(cmd, "subtype");
    if (weaker.count(subtype) != 0) {
        return true;
    }
    return subtype == "AT_AddConstraint" &&
           string_field(cmd.at("def").value("Constraint", json::object()), "contype") ==
               "CONSTR_FOREIGN";
}

bool setting_enables_timeout(const json& set) {
    if (string_field(set, "kind") != "VAR_SET_VALUE") {
        return false; // RESET, SET ... TO DEFAULT: back to the server's (usually 0)
    }
    for (const json& argument : set.value("args", json::array())) {
        const json& constant = argument.value("A_Const", json::object());
        if (constant.contains("ival")) {
            return constant.at("ival").value("ival", 0) != 0;
        }
        if (constant.contains("sval")) {
            const std::string value = constant.at("sval").value("sval", "");
            return !value.empty() && value != "0" && value != "0ms" && value != "0s";
        }
    }
    return true;
}

TableName table_of_names(const std::vector<std::string>& names) {
    TableName table;
    table.name = names.back();
    if (names.size() > 1) {
        table.schema = names[names.size() - 2];
    }
    return table;
}

} // namespace

bool takes_access_exclusive_on_existing_table(const CheckContext& context) {
    const std::string& kind = context.kind();
    const json& body = context.body();
    auto existing = [&](const TableName& table) { return !context.created_here(table); };
    if (const auto table = altered_table(context)) {
        if (!existing(*table)) {
            return false;
        }
        for (const json& cmd : alter_commands(context)) {
            if (!is_weaker_command(cmd)) {
                return true;
            }
        }
        return false;
    }
    if (kind == "RenameStmt") {
        const std::string type = string_field(body, "renameType");
        return (type == "OBJECT_TABLE" || type == "OBJECT_COLUMN" ||
                type == "OBJECT_TABCONSTRAINT") &&
               existing(table_from_range_var(body.value("relation", json::object())));
    }
    if (kind == "DropStmt") {
        const std::string type = string_field(body, "removeType");
        for (const json& object : body.value("objects", json::array())) {
            const auto names = string_list(object);
            if (names.empty()) {
                continue;
            }
            if (type == "OBJECT_TABLE" && existing(table_of_names(names))) {
                return true;
            }
            if (type == "OBJECT_INDEX" && !body.value("concurrent", false)) {
                const auto table = context.schema().index_table(names.back());
                if (!table || existing(*table)) {
                    return true;
                }
            }
        }
        return false;
    }
    if (kind == "TruncateStmt" || kind == "ClusterStmt" || kind == "ReindexStmt") {
        return !(kind == "ReindexStmt" && body.contains("params"));
    }
    if (kind == "VacuumStmt") {
        for (const json& option : body.value("options", json::array())) {
            if (string_field(option.value("DefElem", json::object()), "defname") == "full") {
                return true;
            }
        }
    }
    return false;
}

void check_lock_timeout(CheckContext& context) {
    FileFacts& facts = context.facts();
    if (context.kind() == "VariableSetStmt" &&
        string_field(context.body(), "name") == "lock_timeout") {
        facts.lock_timeout_set = setting_enables_timeout(context.body());
        return;
    }
    if (facts.lock_timeout_set || facts.lock_timeout_reported ||
        !takes_access_exclusive_on_existing_table(context)) {
        return;
    }
    facts.lock_timeout_reported = true;
    context.report("missing-lock-timeout",
                   "this statement takes ACCESS EXCLUSIVE with no lock_timeout set: if it waits "
                   "for the lock, every query on the table queues behind it (reported once per "
                   "file)");
}

} // namespace pgphase::planners::lint
