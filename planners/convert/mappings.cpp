// One statement kind at a time as pgphase operations: CREATE TABLE, CREATE INDEX, DROP,
// RENAME, ALTER TABLE (each command), UPDATE as backfill. Pure.
#include "planners/convert/converter_internal.hpp"
#include "planners/convert/node_text.hpp"
#include "planners/convert/yaml_text.hpp"
#include "planners/sql/expression.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

namespace pgphase::planners::convert::internal {

Change Converter::create_table(const Statement& statement, const json& body) {
    const std::string table = table_of(body["relation"]);
    for (const char* key : {"inhRelations", "partspec", "partbound", "options", "tablespacename",
                            "ofTypename", "accessMethod"}) {
        if (body.contains(key)) {
            throw Refusal{std::string("CREATE TABLE with ") + key +
                          ", which create_table does not take"};
        }
    }
    if (body.value("if_not_exists", false)) {
        throw Refusal{"CREATE TABLE IF NOT EXISTS (create_table requires the name free)"};
    }
    Change change;
    change.operation = "create_table";
    change.fields.push_back("table: " + yaml_scalar(table));
    std::string columns = "columns:";
    std::vector<std::string> primary_key;
    std::string uniques;
    std::string checks;
    std::string foreign_keys;
    int column_keys = 0;
    for (const json& element : body.value("tableElts", json::array())) {
        if (element.contains("ColumnDef")) {
            const Column col = column(statement, element["ColumnDef"], table, true);
            column_keys += col.primary_key ? 1 : 0;
            columns += "\n" + std::string(body_indent + 2, ' ') + "- " + flow_map(col.entries);
            continue;
        }
        const json& constraint = element.value("Constraint", json::object());
        const std::string kind = string_field(constraint, "contype");
        const std::string conname = string_field(constraint, "conname");
        const std::string item = "\n" + std::string(body_indent + 2, ' ') + "- ";
        std::vector<std::pair<std::string, std::string>> entries;
        if (!conname.empty()) {
            entries.emplace_back("name", yaml_scalar(conname));
        }
        if (kind == "CONSTR_PRIMARY" && !constraint.contains("indexname") &&
            (conname.empty() || conname == table + "_pkey")) {
            primary_key = string_list(constraint.value("keys", json::array()));
        } else if (kind == "CONSTR_UNIQUE" && !constraint.contains("indexname") &&
                   !constraint.contains("including")) {
            entries.emplace_back("columns",
                                 yaml_list(string_list(constraint.value("keys", json::array()))));
            uniques += item + flow_map(entries);
        } else if (kind == "CONSTR_CHECK" && !constraint.value("skip_validation", false)) {
            entries.emplace_back("expression",
                                 yaml_scalar(expression(statement, constraint["raw_expr"])));
            checks += item + flow_map(entries);
        } else if (kind == "CONSTR_FOREIGN") {
            entries.emplace_back(
                "columns", yaml_list(string_list(constraint.value("fk_attrs", json::array()))));
            entries.emplace_back("references", references_of_table_key(constraint));
            foreign_keys += item + flow_map(entries);
        } else {
            throw Refusal{"a table constraint create_table does not take (" + kind + ")"};
        }
    }
    if (!primary_key.empty() && column_keys > 0) {
        throw Refusal{"two primary keys"};
    }
    change.fields.push_back(columns);
    if (!primary_key.empty()) {
        change.fields.push_back("primary_key: " + yaml_list(primary_key));
    }
    if (!uniques.empty()) {
        change.fields.push_back("unique:" + uniques);
    }
    if (!checks.empty()) {
        change.fields.push_back("checks:" + checks);
    }
    if (!foreign_keys.empty()) {
        change.fields.push_back("foreign_keys:" + foreign_keys);
    }
    return change;
}

Change Converter::create_index(const Statement& statement, const json& body) {
    const std::string table = table_of(body["relation"]);
    refuse_if_created_here(table);
    const std::string name = string_field(body, "idxname");
    if (name.empty()) {
        throw Refusal{"an index without a name (create_index needs one)"};
    }
    if (body.contains("indexIncludingParams") || body.contains("options") ||
        body.contains("tableSpace") || body.value("if_not_exists", false) ||
        body.value("nulls_not_distinct", false)) {
        throw Refusal{"INCLUDE, WITH, TABLESPACE, IF NOT EXISTS or NULLS NOT DISTINCT, "
                      "which create_index does not take"};
    }
    std::vector<std::string> columns;
    for (const json& param : body.value("indexParams", json::array())) {
        const json& element = param.value("IndexElem", json::object());
        const std::string ordering = string_field(element, "ordering");
        const std::string nulls = string_field(element, "nulls_ordering");
        if (!element.contains("name") || element.contains("expr") || element.contains("opclass") ||
            element.contains("collation") || (!ordering.empty() && ordering != "SORTBY_DEFAULT") ||
            (!nulls.empty() && nulls != "SORTBY_NULLS_DEFAULT")) {
            throw Refusal{"an index on an expression, or with an order, operator class or "
                          "collation (create_index takes plain columns)"};
        }
        columns.push_back(string_field(element, "name"));
    }
    Change change;
    change.operation = "create_index";
    change.fields.push_back("table: " + yaml_scalar(table));
    change.fields.push_back("name: " + yaml_scalar(name));
    change.fields.push_back("columns: " + yaml_list(columns));
    if (body.value("unique", false)) {
        change.fields.emplace_back("unique: true");
    }
    const std::string method = string_field(body, "accessMethod");
    if (!method.empty() && method != "btree") {
        change.fields.push_back("method: " + yaml_scalar(method));
    }
    if (body.contains("whereClause")) {
        change.fields.push_back("where: " +
                                yaml_scalar(expression(statement, body["whereClause"])));
    }
    return change;
}

std::vector<Change> Converter::drop(const json& body) {
    const std::string type = string_field(body, "removeType");
    if (body.value("missing_ok", false) || string_field(body, "behavior") == "DROP_CASCADE") {
        throw Refusal{"DROP IF EXISTS or CASCADE, which drop operations do not take"};
    }
    if (type != "OBJECT_INDEX" && type != "OBJECT_TABLE") {
        throw Refusal{type == "OBJECT_TYPE" ? "types have no pgphase operation"
                                            : "no pgphase operation drops a " + type};
    }
    std::vector<Change> out;
    for (const json& object : body.value("objects", json::array())) {
        const std::string name =
            object_name(object.value("List", json::object()).value("items", json::array()));
        Change change;
        if (type == "OBJECT_INDEX") {
            change.operation = "drop_index";
            change.fields.push_back("name: " + yaml_scalar(name));
        } else {
            refuse_if_created_here(name);
            change.operation = "drop_table";
            change.fields.push_back("table: " + yaml_scalar(name));
        }
        out.push_back(std::move(change));
    }
    return out;
}

Change Converter::rename(const Statement& statement, const json& body) {
    (void)statement;
    const std::string type = string_field(body, "renameType");
    if (body.value("missing_ok", false)) {
        throw Refusal{"IF EXISTS, which rename operations do not take"};
    }
    Change change;
    if (type == "OBJECT_COLUMN" || type == "OBJECT_TABLE" || type == "OBJECT_TABCONSTRAINT") {
        const std::string table = table_of(body["relation"]);
        refuse_if_created_here(table);
        if (type == "OBJECT_COLUMN") {
            change.operation = "rename_column";
            change.fields.push_back("table: " + yaml_scalar(table));
            change.fields.push_back("from: " + yaml_scalar(string_field(body, "subname")));
            change.fields.push_back("to: " + yaml_scalar(string_field(body, "newname")));
        } else if (type == "OBJECT_TABLE") {
            change.operation = "rename_table";
            change.fields.push_back("from: " + yaml_scalar(table));
            change.fields.push_back("to: " + yaml_scalar(string_field(body, "newname")));
        } else {
            change.operation = "rename_constraint";
            change.fields.push_back("table: " + yaml_scalar(table));
            change.fields.push_back("from: " + yaml_scalar(string_field(body, "subname")));
            change.fields.push_back("to: " + yaml_scalar(string_field(body, "newname")));
        }
        return change;
    }
    if (type == "OBJECT_TYPE") {
        throw Refusal{"types have no pgphase operation (with DROP TYPE and ALTER COLUMN "
                      "TYPE around it, this is Prisma's enum recreation; see "
                      "docs/convert.md)"};
    }
    throw Refusal{"no pgphase operation renames a " + type};
}

std::vector<Change> Converter::alter_table(const Statement& statement, const json& body) {
    if (string_field(body, "objtype") != "OBJECT_TABLE") {
        throw Refusal{"ALTER " + string_field(body, "objtype") + " has no pgphase operation"};
    }
    if (body.value("missing_ok", false)) {
        throw Refusal{"ALTER TABLE IF EXISTS"};
    }
    const std::string table = table_of(body["relation"]);
    refuse_if_created_here(table);
    std::vector<Change> out;
    for (const json& item : body.value("cmds", json::array())) {
        const json& cmd = item.value("AlterTableCmd", json::object());
        if (auto change = alter_command(statement, table, cmd)) {
            out.push_back(std::move(*change));
        }
    }
    default_before_not_null(out);
    return out;
}

// `ALTER COLUMN c SET NOT NULL, ALTER COLUMN c SET DEFAULT x` is one statement, so its order
// means nothing to PostgreSQL. As phases it does: set_not_null enforces its CHECK from expand
// on, and until the default exists every insert of the old app version that leaves the column
// out would break it. The default goes first.
void Converter::default_before_not_null(std::vector<Change>& changes) {
    for (std::size_t j = 0; j < changes.size(); ++j) {
        if (changes[j].operation != "set_default") {
            continue;
        }
        for (std::size_t i = 0; i < j; ++i) {
            if (changes[i].operation == "set_not_null" &&
                changes[i].fields == std::vector<std::string>(changes[j].fields.begin(),
                                                              changes[j].fields.begin() + 2)) {
                std::rotate(changes.begin() + static_cast<std::ptrdiff_t>(i),
                            changes.begin() + static_cast<std::ptrdiff_t>(j),
                            changes.begin() + static_cast<std::ptrdiff_t>(j) + 1);
                break;
            }
        }
    }
}

std::optional<Change> Converter::alter_command(const Statement& statement, const std::string& table,
                                               const json& cmd) {
    const std::string subtype = string_field(cmd, "subtype");
    const std::string name = string_field(cmd, "name");
    if (cmd.value("missing_ok", false) || string_field(cmd, "behavior") == "DROP_CASCADE") {
        throw Refusal{"IF EXISTS / IF NOT EXISTS or CASCADE in ALTER TABLE"};
    }
    Change change;
    change.fields.push_back("table: " + yaml_scalar(table));
    if (subtype == "AT_AddColumn") {
        return add_column(statement, table, cmd["def"]["ColumnDef"]);
    }
    if (subtype == "AT_DropColumn") {
        if (m_renamed_away.count(table + "/" + name) != 0) {
            return std::nullopt; // becomes the rename_column at its ADD COLUMN
        }
        change.operation = "drop_column";
        change.fields.push_back("column: " + yaml_scalar(name));
        return change;
    }
    if (subtype == "AT_AlterColumnType") {
        const json& def = cmd["def"]["ColumnDef"];
        const json& type_name = def.value("typeName", json::object());
        if (m_dance_types.count(type_last_name(type_name)) != 0) {
            throw Refusal{"Prisma's enum recreation: the column moves to a new enum type "
                          "while the old type is dropped and the new one renamed in the "
                          "same migration; change_type keeps the old column (and so the "
                          "old type) until contract, so the dance runs as written (a "
                          "rewrite under ACCESS EXCLUSIVE: prefer ALTER TYPE ... ADD VALUE "
                          "where values are only added)"};
        }
        if (def.contains("collClause")) {
            throw Refusal{"ALTER COLUMN TYPE with COLLATE"};
        }
        change.operation = "change_type";
        change.fields.push_back("column: " + yaml_scalar(name));
        change.fields.push_back("type: " + yaml_scalar(type(statement, type_name)));
        if (def.contains("raw_default")) {
            change.fields.push_back("up: " +
                                    yaml_scalar(expression(statement, def["raw_default"])));
        }
        return change;
    }
    if (subtype == "AT_SetNotNull" || subtype == "AT_DropNotNull") {
        change.operation = subtype == "AT_SetNotNull" ? "set_not_null" : "drop_not_null";
        change.fields.push_back("column: " + yaml_scalar(name));
        return change;
    }
    if (subtype == "AT_ColumnDefault") {
        change.fields.push_back("column: " + yaml_scalar(name));
        if (cmd.contains("def")) {
            change.operation = "set_default";
            change.fields.push_back("default: " + yaml_scalar(expression(statement, cmd["def"])));
        } else {
            change.operation = "drop_default";
        }
        return change;
    }
    if (subtype == "AT_AddConstraint") {
        return add_constraint(statement, table, cmd["def"]["Constraint"]);
    }
    if (subtype == "AT_DropConstraint") {
        change.operation = "drop_constraint";
        change.fields.push_back("name: " + yaml_scalar(name));
        return change;
    }
    throw Refusal{"ALTER TABLE " + subtype + " has no pgphase operation"};
}

Change Converter::add_column(const Statement& statement, const std::string& table,
                             const json& def) {
    const std::string name = string_field(def, "colname");
    const auto renamed = m_renames.find(table + "/" + name);
    Change change;
    change.fields.push_back("table: " + yaml_scalar(table));
    if (renamed != m_renames.end()) {
        change.operation = "rename_column";
        const auto same_type = m_same_type.find(table + "/" + name);
        change.comments.push_back(
            "CONFIRM: line " + std::to_string(statement.mark.line) +
            ": the migration drops column " + lint::quote_name(renamed->second) + " and adds " +
            lint::quote_name(name) +
            (same_type != m_same_type.end() ? " of the same type (" + same_type->second + ")"
                                            : std::string()) +
            " on the same table, which loses the data. Read as a rename (Prisma's way of "
            "renaming a field);");
        if (same_type == m_same_type.end()) {
            // Read from the names alone: the dropped column's type is in no migration read.
            // The rename keeps it, so say which type the migration declares.
            change.comments.push_back(
                "CONFIRM: the old column's type is unknown here (no earlier migration read "
                "declares it); the migration declares " +
                lint::column_type(def.value("typeName", json::object())).display() +
                ". A rename keeps the old type: if it differs, this is no rename.");
        }
        change.comments.emplace_back(
            "CONFIRM: the new column keeps the old one's type, nullability and default. If "
            "it is really a new column, replace this change with drop_column + add_column.");
        change.fields.push_back("from: " + yaml_scalar(renamed->second));
        change.fields.push_back("to: " + yaml_scalar(name));
        ++m_result.to_confirm;
        return change;
    }
    const Column col = column(statement, def, table, false);
    change.operation = "add_column";
    change.fields.push_back("column: " + flow_map(col.entries));
    if (col.not_null && !col.has_default) {
        change.comments.push_back(
            "TODO: line " + std::to_string(statement.mark.line) +
            ": NOT NULL without a "
            "default: existing rows need a value. Add `up: <expression over the row>` (or a "
            "`default`); until then `pgphase plan` refuses this change.");
        ++m_result.to_fill;
    }
    return change;
}

Change Converter::add_constraint(const Statement& statement, const std::string& table,
                                 const json& constraint) {
    const std::string kind = string_field(constraint, "contype");
    const std::string conname = string_field(constraint, "conname");
    if (constraint.value("skip_validation", false) || constraint.contains("indexname") ||
        constraint.value("deferrable", false)) {
        throw Refusal{"NOT VALID, USING INDEX or DEFERRABLE: already written the careful "
                      "way, or in a form the operations do not take"};
    }
    Change change;
    change.fields.push_back("table: " + yaml_scalar(table));
    if (kind == "CONSTR_CHECK") {
        if (conname.empty()) {
            throw Refusal{"a CHECK without a name (add_check needs one)"};
        }
        change.operation = "add_check";
        change.fields.push_back("name: " + yaml_scalar(conname));
        change.fields.push_back("check: " +
                                yaml_scalar(expression(statement, constraint["raw_expr"])));
        return change;
    }
    if (kind == "CONSTR_FOREIGN") {
        if (string_field(constraint, "fk_matchtype") == "f") {
            throw Refusal{"a foreign key with MATCH FULL"};
        }
        change.operation = "add_foreign_key";
        if (!conname.empty()) {
            change.fields.push_back("name: " + yaml_scalar(conname));
        }
        change.fields.push_back(
            "columns: " + yaml_list(string_list(constraint.value("fk_attrs", json::array()))));
        std::vector<std::pair<std::string, std::string>> references;
        references.emplace_back("table", yaml_scalar(table_of(constraint["pktable"])));
        const auto columns = string_list(constraint.value("pk_attrs", json::array()));
        if (!columns.empty()) {
            references.emplace_back("columns", yaml_list(columns));
        }
        change.fields.push_back("references: " + flow_map(references));
        const std::string on_delete = on_delete_word(string_field(constraint, "fk_del_action"));
        const std::string on_update = on_delete_word(string_field(constraint, "fk_upd_action"));
        if (on_delete != "no_action") {
            change.fields.push_back("on_delete: " + on_delete);
        }
        if (on_update != "no_action") {
            change.fields.push_back("on_update: " + on_update);
        }
        return change;
    }
    if (kind == "CONSTR_UNIQUE" || kind == "CONSTR_PRIMARY") {
        if (constraint.contains("including") || constraint.contains("options") ||
            constraint.value("nulls_not_distinct", false)) {
            throw Refusal{"a key with INCLUDE, WITH or NULLS NOT DISTINCT"};
        }
        change.operation = kind == "CONSTR_UNIQUE" ? "add_unique" : "add_primary_key";
        if (!conname.empty()) {
            change.fields.push_back("name: " + yaml_scalar(conname));
        }
        change.fields.push_back("columns: " +
                                yaml_list(string_list(constraint.value("keys", json::array()))));
        return change;
    }
    throw Refusal{"ADD CONSTRAINT " + kind + " has no pgphase operation"};
}

Change Converter::backfill(const Statement& statement, const json& body) {
    const std::string table = table_of(body["relation"]);
    refuse_if_created_here(table);
    if (body.contains("fromClause") || body.contains("returningList") ||
        body.contains("withClause") || body["relation"].contains("alias")) {
        throw Refusal{"UPDATE with FROM, RETURNING, WITH or an alias (backfill evaluates "
                      "expressions over one row)"};
    }
    Change change;
    change.operation = "backfill";
    change.fields.push_back("table: " + yaml_scalar(table));
    std::string set = "set:";
    for (const json& item : body.value("targetList", json::array())) {
        const json& target = item.value("ResTarget", json::object());
        if (target.contains("indirection") ||
            target.value("val", json()).contains("MultiAssignRef")) {
            throw Refusal{"UPDATE of an array element, a field or several columns at once"};
        }
        set += "\n" + std::string(body_indent + 2, ' ') +
               yaml_scalar(string_field(target, "name")) + ": " +
               yaml_scalar(expression(statement, target["val"]));
    }
    change.fields.push_back(set);
    if (body.contains("whereClause")) {
        change.fields.push_back("where: " +
                                yaml_scalar(expression(statement, body["whereClause"])));
    }
    const json& targets = body.value("targetList", json::array());
    const json& test = body.value("whereClause", json::object()).value("NullTest", json());
    if (targets.size() == 1 && test.is_object() &&
        string_field(test, "nulltesttype") == "IS_NULL") {
        const json& target = targets[0]["ResTarget"];
        const auto fields = string_list(test.value("arg", json::object())
                                            .value("ColumnRef", json::object())
                                            .value("fields", json::array()));
        if (fields.size() == 1 && fields[0] == string_field(target, "name")) {
            change.fills_nulls = std::make_shared<const NullFill>(NullFill{
                table, fields[0], expression(statement, target["val"]), statement.mark.line});
        }
    }
    return change;
}

} // namespace pgphase::planners::convert::internal
