// Maps each statement of a raw migration to a pgphase operation when the parse tree says
// exactly what it does, else keeps it as an `sql` change with a comment saying why. Statements
// on a table created by the same file stay `sql` (nobody reads that table yet). Pure.
#include "planners/convert/converter.hpp"

#include "planners/convert/node_text.hpp"
#include "planners/convert/yaml_text.hpp"
#include "planners/lint/schema.hpp"
#include "planners/lint/source.hpp"
#include "planners/lint/sql_tree.hpp"
#include "planners/sql/expression.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace pgphase::planners::convert {

namespace {

using lint::Statement;
using lint::string_field;
using lint::string_list;
using nlohmann::json;

// One change of the plan, before it is written out.
struct Change {
    std::vector<std::string> comments;
    std::string operation;
    std::vector<std::string> fields; // "key: value", at the operation's body indentation
};

constexpr int body_indent = 6;

// Why a statement could not become an operation; it then runs as written.
struct Refusal {
    std::string why;
};

void find_schemas(const json& node, std::vector<std::string>& out) {
    if (node.is_object()) {
        // A RangeVar, wrapped ({"RangeVar": ...}) or not (a statement's "relation").
        if (node.contains("relname") && node.contains("schemaname")) {
            out.push_back(node["schemaname"].get<std::string>());
        }
        for (const auto& [key, value] : node.items()) {
            find_schemas(value, out);
        }
    } else if (node.is_array()) {
        for (const json& item : node) {
            find_schemas(item, out);
        }
    }
}

std::string on_delete_word(const std::string& action) {
    if (action == "r") {
        return "restrict";
    }
    if (action == "c") {
        return "cascade";
    }
    if (action == "n") {
        return "set_null";
    }
    if (action == "d") {
        return "set_default";
    }
    return "no_action";
}

std::string flow_map(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out = "{";
    for (std::size_t i = 0; i < entries.size(); ++i) {
        out += (i == 0 ? "" : ", ") + entries[i].first + ": " + entries[i].second;
    }
    return out + "}";
}

const std::set<std::string>& serial_types() {
    static const std::set<std::string> types = {"serial",  "serial4",     "bigserial",
                                                "serial8", "smallserial", "serial2"};
    return types;
}

std::string serial_base(const std::string& name) {
    if (name == "bigserial" || name == "serial8") {
        return "bigint";
    }
    if (name == "smallserial" || name == "serial2") {
        return "smallint";
    }
    return "integer";
}

class Converter {
public:
    Converter(const lint::SourceFile& file, const lint::SchemaModel* before, ConvertResult& result)
        : m_file(file)
        , m_before(before)
        , m_result(result) {}

    std::string run() {
        prescan();
        find_conflicts();
        for (std::size_t i = 0; i < m_file.statements().size(); ++i) {
            convert(i, m_file.statements()[i]);
        }
        return render();
    }

private:
    // The plan's schema, the types an enum dance renames, and probable renames.
    void prescan() {
        std::vector<std::string> schemas;
        std::map<std::string, std::vector<std::string>> drops;
        std::map<std::string, std::vector<std::pair<std::string, lint::ColumnType>>> adds;
        std::map<std::string, lint::TableName> qualified; // table -> as the model keys it
        std::set<std::string> created;
        for (const Statement& statement : m_file.statements()) {
            find_schemas(statement.node, schemas);
            if (statement.kind == "CreateStmt") {
                created.insert(string_field(statement.node["CreateStmt"]["relation"], "relname"));
            }
            if (statement.kind == "RenameStmt") {
                const json& rename = statement.node["RenameStmt"];
                if (string_field(rename, "renameType") == "OBJECT_TYPE") {
                    const auto names = string_list(rename["object"]
                                                       .value("List", json::object())
                                                       .value("items", json::array()));
                    if (!names.empty()) {
                        m_dance_types.insert(names.back());
                    }
                }
            }
            if (statement.kind == "AlterTableStmt") {
                const json& alter = statement.node["AlterTableStmt"];
                const std::string table = string_field(alter["relation"], "relname");
                if (created.count(table) != 0) {
                    continue;
                }
                qualified[table] = lint::table_from_range_var(alter["relation"]);
                for (const json& item : alter.value("cmds", json::array())) {
                    const json& cmd = item.value("AlterTableCmd", json::object());
                    const std::string subtype = string_field(cmd, "subtype");
                    if (subtype == "AT_DropColumn") {
                        drops[table].push_back(string_field(cmd, "name"));
                    } else if (subtype == "AT_AddColumn") {
                        const json& def = cmd["def"]["ColumnDef"];
                        adds[table].emplace_back(
                            string_field(def, "colname"),
                            lint::column_type(def.value("typeName", json::object())));
                    }
                }
            }
        }
        m_schema = schemas.empty() ? "public" : schemas.front();
        // A drop and an add on one table read as a rename, as lint's probable-rename rule
        // reads them: of the same type when earlier migrations say the dropped column's type,
        // else of alike names.
        for (const auto& [table, dropped] : drops) {
            std::set<std::string> taken;
            for (const std::string& from : dropped) {
                const lint::ColumnType* known =
                    m_before != nullptr ? m_before->column_type(qualified[table], from) : nullptr;
                for (const auto& [to, type] : adds[table]) {
                    if (taken.count(to) != 0 || from == to ||
                        !(known != nullptr ? type == *known : lint::similar_names(from, to))) {
                        continue;
                    }
                    m_renames[table + "/" + to] = from;
                    m_renamed_away.insert(table + "/" + from);
                    if (known != nullptr) {
                        m_same_type[table + "/" + to] = known->display();
                    }
                    taken.insert(to);
                    break;
                }
            }
        }
    }

    // Every table a statement names (relation, referenced table, dropped or renamed table).
    static void relation_names(const json& node, std::set<std::string>& out) {
        if (node.is_object()) {
            if (node.contains("relname")) {
                out.insert(node["relname"].get<std::string>());
            }
            for (const auto& [key, value] : node.items()) {
                relation_names(value, out);
            }
        } else if (node.is_array()) {
            for (const json& item : node) {
                relation_names(item, out);
            }
        }
    }

    void force(const std::vector<std::size_t>& indexes, const std::string& why) {
        for (std::size_t index : indexes) {
            m_forced.emplace(index, why);
        }
    }

    // Statements that map one by one but not together, as pgphase allows one change per
    // object per plan and drops only at contract: all of them stay SQL, in order.
    void find_conflicts() {
        const auto& statements = m_file.statements();
        std::map<std::string, std::vector<std::size_t>> dropped; // constraint or index
        std::map<std::string, std::vector<std::size_t>> added;   // constraint or index
        std::map<std::string, std::vector<std::size_t>> touched; // "table/column"
        std::set<std::string> reshaped;                          // renamed or retyped
        std::set<std::string> new_columns;                       // added by this file
        std::map<std::string, std::vector<std::size_t>> named;   // table -> statements
        std::vector<std::pair<std::size_t, std::pair<std::string, std::string>>> table_renames;
        for (std::size_t i = 0; i < statements.size(); ++i) {
            const Statement& statement = statements[i];
            if (statement.kind.empty()) {
                continue;
            }
            const json& body = statement.node[statement.kind];
            std::set<std::string> tables;
            relation_names(statement.node, tables);
            if (statement.kind == "DropStmt") {
                for (const json& object : body.value("objects", json::array())) {
                    const auto names = string_list(
                        object.value("List", json::object()).value("items", json::array()));
                    if (!names.empty()) {
                        tables.insert(names.back());
                        if (string_field(body, "removeType") == "OBJECT_INDEX") {
                            dropped["index/" + names.back()].push_back(i);
                        }
                    }
                }
            }
            for (const std::string& table : tables) {
                named[table].push_back(i);
            }
            if (statement.kind == "IndexStmt") {
                added["index/" + string_field(body, "idxname")].push_back(i);
            }
            const std::string table =
                string_field(body.value("relation", json::object()), "relname");
            if (statement.kind == "RenameStmt") {
                const std::string type = string_field(body, "renameType");
                if (type == "OBJECT_TABLE") {
                    table_renames.push_back({i, {table, string_field(body, "newname")}});
                } else if (type == "OBJECT_COLUMN") {
                    for (const char* key : {"subname", "newname"}) {
                        touched[table + "/" + string_field(body, key)].push_back(i);
                        reshaped.insert(table + "/" + string_field(body, key));
                    }
                }
            }
            if (statement.kind == "UpdateStmt") {
                for (const json& item : body.value("targetList", json::array())) {
                    const std::string column =
                        table + "/" + string_field(item.value("ResTarget", json::object()), "name");
                    if (new_columns.count(column) != 0) {
                        force({i}, "it fills column " + column +
                                       ", which this migration adds; "
                                       "the planner's backfill sees only columns that exist before "
                                       "the plan, so it runs as written after the add_column");
                    }
                }
            }
            if (statement.kind != "AlterTableStmt") {
                continue;
            }
            for (const json& item : body.value("cmds", json::array())) {
                const json& cmd = item.value("AlterTableCmd", json::object());
                const std::string subtype = string_field(cmd, "subtype");
                const json& def = cmd.value("def", json::object());
                if (subtype == "AT_DropConstraint") {
                    dropped["constraint/" + table + "/" + string_field(cmd, "name")].push_back(i);
                } else if (subtype == "AT_AddConstraint") {
                    const std::string conname =
                        string_field(def.value("Constraint", json::object()), "conname");
                    added["constraint/" + table + "/" + conname].push_back(i);
                    if (string_field(def.value("Constraint", json::object()), "contype") ==
                            "CONSTR_PRIMARY" ||
                        string_field(def.value("Constraint", json::object()), "contype") ==
                            "CONSTR_UNIQUE") {
                        added["index/" + conname].push_back(i); // its index takes the name
                    }
                } else if (subtype == "AT_AddColumn") {
                    touched[table + "/" + string_field(def["ColumnDef"], "colname")].push_back(i);
                    new_columns.insert(table + "/" + string_field(def["ColumnDef"], "colname"));
                } else if (!string_field(cmd, "name").empty()) {
                    touched[table + "/" + string_field(cmd, "name")].push_back(i);
                    if (subtype == "AT_AlterColumnType") {
                        reshaped.insert(table + "/" + string_field(cmd, "name"));
                    }
                }
            }
        }
        for (const auto& [key, drops] : dropped) {
            const auto again = added.find(key);
            if (again != added.end()) {
                const std::string what = key.substr(0, key.find('/'));
                force(drops, "the " + what +
                                 " is dropped and created again under the same name "
                                 "in this migration (e.g. to change ON DELETE); pgphase drops at "
                                 "contract, after the new one would need the name, so the pair "
                                 "runs as written");
                force(again->second, "the " + what +
                                         " is created again under the name this "
                                         "migration drops; the pair runs as written");
            }
            if (key.rfind("constraint/", 0) == 0 && key.size() > 5 &&
                key.compare(key.size() - 5, 5, "_pkey") == 0) {
                const std::string name = key.substr(key.rfind('/') + 1);
                const auto index = added.find("index/" + name);
                if (index != added.end()) {
                    force(drops, "the primary key is dropped and added again under its name");
                    force(index->second, "the primary key is added again under the name this "
                                         "migration drops");
                }
            }
        }
        for (const auto& [key, indexes] : touched) {
            std::set<std::size_t> distinct(indexes.begin(), indexes.end());
            if (distinct.size() > 1 && reshaped.count(key) != 0) {
                force(indexes, "column " + key +
                                   " is renamed or retyped and changed again by "
                                   "another statement; pgphase takes one change per column per "
                                   "plan, so they run as written");
            }
        }
        for (const auto& [at, names] : table_renames) {
            std::vector<std::size_t> later;
            for (const std::string& name : {names.first, names.second}) {
                for (std::size_t j : named[name]) {
                    if (j > at) {
                        later.push_back(j);
                    }
                }
            }
            if (!later.empty()) {
                later.push_back(at);
                force(later, "table " + lint::quote_name(names.first) + " is renamed to " +
                                 lint::quote_name(names.second) +
                                 " and used again by this "
                                 "migration; rename_table allows no later change on it, so these "
                                 "run as written");
                m_sql_created.insert(names.second);
            }
        }
    }

    void convert(std::size_t index, const Statement& statement) {
        if (statement.kind.empty()) {
            m_result.errors.error(statement.error_mark, statement.parse_error);
            return;
        }
        if (statement.kind == "TransactionStmt") {
            m_notes.push_back("line " + std::to_string(statement.mark.line) + ": `" +
                              statement.text +
                              "` left out: pgphase runs each change in its own transaction");
            return;
        }
        std::vector<Change> mapped;
        std::optional<Refusal> refusal;
        const auto forced = m_forced.find(index);
        std::set<std::string> tables;
        relation_names(statement.node, tables);
        const auto invisible = std::find_if(tables.begin(), tables.end(), [&](const auto& t) {
            return m_sql_created.count(t) != 0;
        });
        if (forced != m_forced.end()) {
            refusal = Refusal{forced->second};
        } else if (invisible != tables.end()) {
            refusal = Refusal{"table " + lint::quote_name(*invisible) +
                              " is created by a statement kept as SQL, which the planner cannot "
                              "see, so this one runs as written too"};
        } else {
            try {
                mapped = map_statement(statement);
            } catch (const Refusal& why) {
                refusal = why;
            }
        }
        if (statement.kind == "CreateStmt") {
            // Even kept as SQL: later statements on it are on a table nobody reads yet.
            m_created.insert(string_field(statement.node["CreateStmt"]["relation"], "relname"));
        }
        if (refusal) {
            if (statement.kind == "CreateStmt") {
                m_sql_created.insert(
                    string_field(statement.node["CreateStmt"]["relation"], "relname"));
            }
            keep_as_sql(statement, refusal->why);
            return;
        }
        for (Change& change : mapped) {
            if (change.operation == "sql") {
                ++m_result.raw_sql;
            } else {
                ++m_result.operations;
            }
            m_changes.push_back(std::move(change));
        }
    }

    void keep_as_sql(const Statement& statement, const std::string& why) {
        Change change;
        change.operation = "sql";
        change.comments.push_back("line " + std::to_string(statement.mark.line) +
                                  ": kept as SQL: " + why);
        change.fields.push_back("up: " + yaml_block(statement.text, body_indent + 2));
        if (statement.node[statement.kind].value("concurrent", false)) {
            change.fields.emplace_back("transactional: false");
        }
        ++m_result.raw_sql;
        m_changes.push_back(std::move(change));
    }

    std::vector<Change> map_statement(const Statement& statement) {
        const json& body = statement.node[statement.kind];
        if (statement.kind == "CreateStmt") {
            return {create_table(statement, body)};
        }
        if (statement.kind == "IndexStmt") {
            return {create_index(statement, body)};
        }
        if (statement.kind == "DropStmt") {
            return drop(body);
        }
        if (statement.kind == "RenameStmt") {
            return {rename(statement, body)};
        }
        if (statement.kind == "AlterTableStmt") {
            return alter_table(statement, body);
        }
        if (statement.kind == "UpdateStmt") {
            return {backfill(statement, body)};
        }
        throw Refusal{no_rewrite_reason(statement.kind)};
    }

    static std::string no_rewrite_reason(const std::string& kind) {
        if (kind == "CreateEnumStmt" || kind == "AlterEnumStmt" || kind == "CompositeTypeStmt") {
            return "types have no pgphase operation; creating or extending one does not lock "
                   "any table";
        }
        if (kind == "CreateExtensionStmt" || kind == "DropExtensionStmt") {
            return "extensions have no pgphase operation";
        }
        if (kind == "CreateFunctionStmt" || kind == "DoStmt" || kind == "CreateTrigStmt") {
            return "functions, triggers and DO blocks have no pgphase operation";
        }
        if (kind == "InsertStmt" || kind == "DeleteStmt") {
            return "only UPDATE maps to an operation (backfill); other data changes run as "
                   "written";
        }
        return "no pgphase operation for " + kind;
    }

    // --- names --------------------------------------------------------------------------

    std::string table_of(const json& range_var) const {
        const std::string schema = string_field(range_var, "schemaname");
        if (!schema.empty() && schema != m_schema) {
            throw Refusal{"its table is in schema \"" + schema + "\", the plan's is \"" + m_schema +
                          "\""};
        }
        if (string_field(range_var, "relpersistence") == "t") {
            throw Refusal{"a temporary table"};
        }
        return string_field(range_var, "relname");
    }

    // The object name of a DROP/RENAME list (`[schema,] name`), in the plan's schema.
    std::string object_name(const json& list) const {
        const auto names = string_list(list);
        if (names.empty() || names.size() > 2) {
            throw Refusal{"an object name pgphase cannot read"};
        }
        if (names.size() == 2 && names[0] != m_schema) {
            throw Refusal{"its object is in schema \"" + names[0] + "\", the plan's is \"" +
                          m_schema + "\""};
        }
        return names.back();
    }

    void refuse_if_created_here(const std::string& table) const {
        if (m_created.count(table) != 0) {
            throw Refusal{"table " + lint::quote_name(table) +
                          " is created by this migration: nobody reads it yet, so the "
                          "statement runs as written"};
        }
    }

    // --- expressions and types ----------------------------------------------------------

    std::string expression(const Statement& statement, const json& node) const {
        const auto text = expression_text(statement.text, node);
        if (!text) {
            throw Refusal{"an expression pgphase could not take from the statement"};
        }
        auto parsed = parse_expression(*text, statement.mark);
        if (const auto* error = std::get_if<ParseError>(&parsed)) {
            throw Refusal{"`" + *text + "` is not a pgphase expression (" + error->message + ")"};
        }
        return std::get<Expression>(parsed).sql;
    }

    std::string type(const Statement& statement, const json& type_name) const {
        if (type_name.value("pct_type", false)) {
            throw Refusal{"a %TYPE reference"};
        }
        const auto text = type_text(statement.text, type_name);
        if (!text) {
            throw Refusal{"a type pgphase could not take from the statement"};
        }
        auto parsed = parse_type_name(*text, statement.mark);
        if (const auto* error = std::get_if<ParseError>(&parsed)) {
            throw Refusal{"`" + *text + "` is not a type pgphase reads (" + error->message + ")"};
        }
        return std::get<TypeName>(parsed).sql;
    }

    static std::string type_last_name(const json& type_name) {
        const auto names = string_list(type_name.value("names", json::array()));
        return names.empty() ? std::string() : names.back();
    }

    // --- columns ------------------------------------------------------------------------

    struct Column {
        std::vector<std::pair<std::string, std::string>> entries; // flow mapping fields
        bool not_null = false;
        bool has_default = false;
        bool primary_key = false;
        std::string type;
    };

    // A ColumnDef as add_column / create_table column fields. `in_create` allows primary
    // keys, identity and serial (as identity).
    Column column(const Statement& statement, const json& def, const std::string& table,
                  bool in_create) const {
        Column out;
        const std::string name = string_field(def, "colname");
        const json& type_name = def.value("typeName", json::object());
        out.entries.emplace_back("name", yaml_scalar(name));
        std::string identity;
        const std::string last = type_last_name(type_name);
        if (serial_types().count(last) != 0 && string_list(type_name["names"]).size() == 1) {
            if (!in_create) {
                throw Refusal{"a serial column added to an existing table (its sequence fills "
                              "every row under an exclusive lock)"};
            }
            out.type = serial_base(last);
            identity = "by_default";
        } else {
            out.type = type(statement, type_name);
        }
        out.entries.emplace_back("type", yaml_scalar(out.type));
        if (def.contains("collClause") || def.contains("raw_default") ||
            def.contains("cooked_default")) {
            throw Refusal{"a column with a collation or a computed default pgphase does not map"};
        }
        std::vector<std::pair<std::string, std::string>> tail;
        for (const json& item : def.value("constraints", json::array())) {
            const json& constraint = item.value("Constraint", json::object());
            const std::string kind = string_field(constraint, "contype");
            const std::string conname = string_field(constraint, "conname");
            if (kind == "CONSTR_NOTNULL") {
                out.not_null = true;
            } else if (kind == "CONSTR_NULL") {
                out.not_null = false;
            } else if (kind == "CONSTR_DEFAULT") {
                out.has_default = true;
                tail.emplace_back("default",
                                  yaml_scalar(expression(statement, constraint["raw_expr"])));
            } else if (kind == "CONSTR_PRIMARY" && in_create &&
                       (conname.empty() || conname == table + "_pkey")) {
                out.primary_key = true;
            } else if (kind == "CONSTR_UNIQUE" &&
                       (conname.empty() || conname == table + "_" + name + "_key")) {
                tail.emplace_back("unique", "true");
            } else if (kind == "CONSTR_CHECK" && !constraint.value("skip_validation", false) &&
                       (conname.empty() || conname == table + "_" + name + "_check")) {
                tail.emplace_back("check",
                                  yaml_scalar(expression(statement, constraint["raw_expr"])));
            } else if (kind == "CONSTR_FOREIGN" &&
                       (conname.empty() || conname == table + "_" + name + "_fkey")) {
                tail.emplace_back("references", references(constraint));
            } else if (kind == "CONSTR_IDENTITY" && in_create) {
                identity =
                    string_field(constraint, "generated_when") == "a" ? "always" : "by_default";
            } else {
                throw Refusal{"column " + lint::quote_name(name) +
                              " has a constraint pgphase does not map here (" + kind +
                              (conname.empty() ? "" : " " + lint::quote_name(conname)) + ")"};
            }
        }
        if (!identity.empty() && out.has_default) {
            throw Refusal{"an identity column with a default"};
        }
        if (out.not_null || out.primary_key || !identity.empty()) {
            if (out.not_null) {
                out.entries.emplace_back("nullable", "false");
            }
        }
        for (auto& entry : tail) {
            out.entries.push_back(std::move(entry));
        }
        if (out.primary_key) {
            out.entries.emplace_back("primary_key", "true");
        }
        if (!identity.empty()) {
            out.entries.emplace_back("identity", identity);
        }
        return out;
    }

    // `{table, column?, on_delete?}` of a column-level foreign key; refuses what the
    // operation cannot say (ON UPDATE, MATCH FULL, several columns).
    std::string references(const json& constraint) const {
        if (string_field(constraint, "fk_upd_action") != "a" &&
            !string_field(constraint, "fk_upd_action").empty()) {
            throw Refusal{"a column foreign key with ON UPDATE (add_foreign_key says it; the "
                          "column form cannot)"};
        }
        if (string_field(constraint, "fk_matchtype") == "f") {
            throw Refusal{"a foreign key with MATCH FULL"};
        }
        std::vector<std::pair<std::string, std::string>> entries;
        entries.emplace_back("table", yaml_scalar(table_of(constraint["pktable"])));
        const auto columns = string_list(constraint.value("pk_attrs", json::array()));
        if (columns.size() > 1) {
            throw Refusal{"a column foreign key naming several columns"};
        }
        if (columns.size() == 1) {
            entries.emplace_back("column", yaml_scalar(columns[0]));
        }
        const std::string on_delete = on_delete_word(string_field(constraint, "fk_del_action"));
        if (on_delete != "no_action") {
            entries.emplace_back("on_delete", on_delete);
        }
        return flow_map(entries);
    }

    // --- statements ---------------------------------------------------------------------

    Change create_table(const Statement& statement, const json& body) {
        const std::string table = table_of(body["relation"]);
        for (const char* key : {"inhRelations", "partspec", "partbound", "options",
                                "tablespacename", "ofTypename", "accessMethod"}) {
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
                entries.emplace_back(
                    "columns", yaml_list(string_list(constraint.value("keys", json::array()))));
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

    std::string references_of_table_key(const json& constraint) const {
        const std::string on_update = string_field(constraint, "fk_upd_action");
        if (!on_update.empty() && on_update != "a") {
            throw Refusal{"a foreign key with ON UPDATE inside CREATE TABLE (create_table's "
                          "foreign keys have no on_update)"};
        }
        if (string_field(constraint, "fk_matchtype") == "f") {
            throw Refusal{"a foreign key with MATCH FULL"};
        }
        std::vector<std::pair<std::string, std::string>> entries;
        entries.emplace_back("table", yaml_scalar(table_of(constraint["pktable"])));
        const auto columns = string_list(constraint.value("pk_attrs", json::array()));
        if (!columns.empty()) {
            entries.emplace_back("columns", yaml_list(columns));
        }
        const std::string on_delete = on_delete_word(string_field(constraint, "fk_del_action"));
        if (on_delete != "no_action") {
            entries.emplace_back("on_delete", on_delete);
        }
        return flow_map(entries);
    }

    Change create_index(const Statement& statement, const json& body) {
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
            if (!element.contains("name") || element.contains("expr") ||
                element.contains("opclass") || element.contains("collation") ||
                (!ordering.empty() && ordering != "SORTBY_DEFAULT") ||
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

    std::vector<Change> drop(const json& body) {
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

    Change rename(const Statement& statement, const json& body) {
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

    std::vector<Change> alter_table(const Statement& statement, const json& body) {
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
        return out;
    }

    std::optional<Change> alter_command(const Statement& statement, const std::string& table,
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
                change.fields.push_back("default: " +
                                        yaml_scalar(expression(statement, cmd["def"])));
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

    Change add_column(const Statement& statement, const std::string& table, const json& def) {
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

    Change add_constraint(const Statement& statement, const std::string& table,
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
            change.fields.push_back(
                "columns: " + yaml_list(string_list(constraint.value("keys", json::array()))));
            return change;
        }
        throw Refusal{"ADD CONSTRAINT " + kind + " has no pgphase operation"};
    }

    Change backfill(const Statement& statement, const json& body) {
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
        return change;
    }

    // --- output -------------------------------------------------------------------------

    std::string render() const {
        std::string out;
        out += "# Converted by `pgphase convert` from " + m_file.path() + ".\n";
        out += "# Review every change: `# TODO` marks input only you can give, `# CONFIRM` a\n";
        out += "# guess to check, `kept as SQL` a statement that runs as written.\n";
        for (const std::string& note : m_notes) {
            out += "# " + one_line(note) + "\n";
        }
        for (const lint::PrismaWarning& warning : m_file.prisma_warnings()) {
            out += "# Prisma warned: " + one_line(warning.text) + "\n";
        }
        out += "name: " + yaml_scalar(migration_name_for(m_file.path())) + "\n";
        out += "schema: " + yaml_scalar(m_schema) + "\n";
        out += "changes:\n";
        for (const Change& change : m_changes) {
            for (const std::string& comment : change.comments) {
                out += "  # " + one_line(comment) + "\n";
            }
            out += "  - " + change.operation + ":\n";
            for (const std::string& field : change.fields) {
                out += std::string(body_indent, ' ') + field + "\n";
            }
        }
        return out;
    }

    static std::string one_line(const std::string& text) {
        std::string out = text;
        std::replace(out.begin(), out.end(), '\n', ' ');
        std::replace(out.begin(), out.end(), '\r', ' ');
        return out;
    }

    const lint::SourceFile& m_file;
    const lint::SchemaModel* m_before; // column types from earlier migrations; may be null
    ConvertResult& m_result;
    std::string m_schema = "public";
    std::set<std::string> m_created;
    std::set<std::string> m_dance_types;
    std::map<std::string, std::string> m_renames;   // "table/new" -> old
    std::set<std::string> m_renamed_away;           // "table/old"
    std::map<std::string, std::string> m_same_type; // "table/new" -> the type both have
    std::vector<Change> m_changes;
    std::vector<std::string> m_notes;            // file-level remarks, at the top
    std::map<std::size_t, std::string> m_forced; // statement index -> why it stays SQL
    std::set<std::string> m_sql_created;         // tables only SQL changes know
};

} // namespace

std::string migration_name_for(const std::string& path) {
    std::string base = path;
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    auto slash = base.rfind('/');
    std::string stem = slash == std::string::npos ? base : base.substr(slash + 1);
    const auto dot = stem.rfind('.');
    if (dot != std::string::npos && dot > 0) {
        stem = stem.substr(0, dot);
    }
    if (stem == "migration" && slash != std::string::npos) {
        const std::string parent = base.substr(0, slash);
        const auto parent_slash = parent.rfind('/');
        stem = parent_slash == std::string::npos ? parent : parent.substr(parent_slash + 1);
    }
    std::string out;
    for (char c : stem) {
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
        if (keep) {
            out += lower;
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    if (out.size() > 48) {
        out.resize(48);
    }
    while (!out.empty() && out.back() == '_') {
        out.pop_back();
    }
    return out.empty() ? "converted" : out;
}

ConvertResult convert_sql(const std::string& path, const std::string& text,
                          const lint::SchemaModel* before) {
    ConvertResult result;
    const lint::SourceFile file(path, text);
    Converter converter(file, before, result);
    std::string yaml = converter.run();
    if (result.errors.has_errors()) {
        return result;
    }
    if (result.operations + result.raw_sql == 0) {
        result.errors.error(SourceMark{path, 1, 1}, "no statement to convert",
                            "the file holds only comments or nothing");
        return result;
    }
    result.yaml = std::move(yaml);
    return result;
}

} // namespace pgphase::planners::convert
