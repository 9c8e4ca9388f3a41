// missing-lock-timeout: once per file, at the first statement that takes a lock blocking
// writes (SHARE or stronger) on a table that existed before the file, when no SET
// lock_timeout came before it. While such a statement waits for its lock (behind any long
// transaction on the table), every later query that conflicts with it waits behind it. Pure.
#include "planners/lint/rules/checks.hpp"

#include <set>

namespace pgphase::planners::lint {

namespace {

// ALTER TABLE subcommands whose lock lets writes through (PostgreSQL 15,
// AlterTableGetLockLevel: SHARE UPDATE EXCLUSIVE).
bool lets_writes_through(const std::string& subtype) {
    static const std::set<std::string> weaker = {
        "AT_ValidateConstraint", "AT_SetStatistics",  "AT_ClusterOn",     "AT_DropCluster",
        "AT_SetOptions",         "AT_ResetOptions",   "AT_SetRelOptions", "AT_ResetRelOptions",
        "AT_AttachPartition",    "AT_DetachPartition"};
    return weaker.count(subtype) != 0;
}

bool is_foreign_key(const json& constraint) {
    return string_field(constraint, "contype") == "CONSTR_FOREIGN";
}

TableName table_of_names(const std::vector<std::string>& names) {
    TableName table;
    table.name = names.back();
    if (names.size() > 1) {
        table.schema = names[names.size() - 2];
    }
    return table;
}

struct LockOnExisting {
    std::string lock;
    TableName table;
};

// Foreign keys lock the table they reference with SHARE ROW EXCLUSIVE.
std::optional<LockOnExisting> referenced_existing_table(const CheckContext& context,
                                                        const json& constraints) {
    for (const json& item : constraints) {
        const json& constraint = item.value("Constraint", json::object());
        if (!is_foreign_key(constraint)) {
            continue;
        }
        const TableName referenced =
            table_from_range_var(constraint.value("pktable", json::object()));
        if (!context.created_here(referenced)) {
            return LockOnExisting{"SHARE ROW EXCLUSIVE", referenced};
        }
    }
    return std::nullopt;
}

std::optional<LockOnExisting> alter_table_lock(const CheckContext& context,
                                               const TableName& table) {
    const bool existing = !context.created_here(table);
    bool foreign_keys_only = true;
    bool blocks = false;
    for (const json& cmd : alter_commands(context)) {
        const std::string subtype = string_field(cmd, "subtype");
        if (lets_writes_through(subtype)) {
            continue;
        }
        const json& definition = cmd.value("def", json::object());
        if (subtype == "AT_AddConstraint" &&
            is_foreign_key(definition.value("Constraint", json::object()))) {
            if (existing) {
                blocks = true;
            } else if (auto referenced =
                           referenced_existing_table(context, json::array({definition}))) {
                return referenced;
            }
            continue;
        }
        foreign_keys_only = false;
        blocks = blocks || existing;
        if (subtype == "AT_AddColumn" && !existing) {
            if (auto referenced = referenced_existing_table(
                    context, definition.at("ColumnDef").value("constraints", json::array()))) {
                return referenced;
            }
        }
    }
    if (!blocks) {
        return std::nullopt;
    }
    return LockOnExisting{foreign_keys_only ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE", table};
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

// The write-blocking lock the statement takes on a table that existed before the file.
std::optional<LockOnExisting> lock_on_existing_table(const CheckContext& context) {
    const std::string& kind = context.kind();
    const json& body = context.body();
    auto existing = [&](const TableName& table) { return !context.created_here(table); };
    if (const auto table = altered_table(context)) {
        return alter_table_lock(context, *table);
    }
    if (kind == "CreateStmt") {
        json constraints = json::array();
        for (const json& element : body.value("tableElts", json::array())) {
            if (element.contains("Constraint")) {
                constraints.push_back(element);
            } else if (element.contains("ColumnDef")) {
                for (const json& item :
                     element.at("ColumnDef").value("constraints", json::array())) {
                    constraints.push_back(item);
                }
            }
        }
        return referenced_existing_table(context, constraints);
    }
    if (kind == "IndexStmt" || kind == "CreateTrigStmt") {
        const TableName table = table_from_range_var(body.value("relation", json::object()));
        if (!existing(table) || body.value("concurrent", false)) {
            return std::nullopt;
        }
        return LockOnExisting{kind == "IndexStmt" ? "SHARE" : "SHARE ROW EXCLUSIVE", table};
    }
    if (kind == "RenameStmt") {
        const std::string type = string_field(body, "renameType");
        const TableName table = table_from_range_var(body.value("relation", json::object()));
        if ((type == "OBJECT_TABLE" || type == "OBJECT_COLUMN" || type == "OBJECT_TABCONSTRAINT") &&
            existing(table)) {
            return LockOnExisting{"ACCESS EXCLUSIVE", table};
        }
        return std::nullopt;
    }
    if (kind == "DropStmt") {
        const std::string type = string_field(body, "removeType");
        for (const json& object : body.value("objects", json::array())) {
            const auto names = string_list(object);
            if (names.empty()) {
                continue;
            }
            if (type == "OBJECT_TABLE" && existing(table_of_names(names))) {
                return LockOnExisting{"ACCESS EXCLUSIVE", table_of_names(names)};
            }
            if (type == "OBJECT_INDEX" && !body.value("concurrent", false)) {
                const auto table = context.schema().index_table(names.back());
                if (!table || existing(*table)) {
                    TableName shown;
                    shown.name = table ? table->name : "the table of index " + names.back();
                    return LockOnExisting{"ACCESS EXCLUSIVE", table ? *table : shown};
                }
            }
        }
        return std::nullopt;
    }
    if (kind == "TruncateStmt" || kind == "ClusterStmt" || kind == "ReindexStmt" ||
        kind == "VacuumStmt") {
        if (kind == "ReindexStmt" && body.contains("params")) {
            return std::nullopt; // CONCURRENTLY
        }
        bool full = kind != "VacuumStmt";
        for (const json& option : body.value("options", json::array())) {
            full =
                full || string_field(option.value("DefElem", json::object()), "defname") == "full";
        }
        if (!full) {
            return std::nullopt;
        }
        const json& relations = body.value("relations", json::array());
        TableName table = table_from_range_var(body.value("relation", json::object()));
        if (!relations.empty() && relations[0].contains("RangeVar")) {
            table = table_from_range_var(relations[0].at("RangeVar"));
        }
        if (table.name.empty() || existing(table)) {
            return LockOnExisting{"ACCESS EXCLUSIVE", table};
        }
    }
    return std::nullopt;
}

} // namespace

void check_lock_timeout(CheckContext& context) {
    FileFacts& facts = context.facts();
    if (context.kind() == "VariableSetStmt" &&
        string_field(context.body(), "name") == "lock_timeout") {
        facts.lock_timeout_set = setting_enables_timeout(context.body());
        return;
    }
    if (facts.lock_timeout_set || facts.lock_timeout_reported) {
        return;
    }
    const auto lock = lock_on_existing_table(context);
    if (!lock) {
        return;
    }
    facts.lock_timeout_reported = true;
    const std::string table = lock->table.name.empty() ? "the table" : lock->table.display();
    const std::string blocked = lock->lock == "ACCESS EXCLUSIVE" ? "every query" : "every write";
    context.report("missing-lock-timeout",
                   "this statement takes " + lock->lock + " on " + table +
                       " with no lock_timeout set: while it waits for the lock, " + blocked +
                       " on " + table + " queues behind it (reported once per file)");
}

} // namespace pgphase::planners::lint
