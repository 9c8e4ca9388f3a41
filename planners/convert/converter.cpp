// Maps each statement of a raw migration to a pgphase operation when the parse tree says
// exactly what it does, else keeps it as an `sql` change with a comment saying why. Statements
// on a table created by the same file stay `sql` (nobody reads that table yet). This file
// drives the conversion: which statements map, which conflict and stay SQL, and the YAML
// written out; converter_internal.hpp says where the rest lives. Pure.
#include "planners/convert/converter.hpp"

#include "planners/convert/converter_internal.hpp"
#include "planners/convert/node_text.hpp"
#include "planners/convert/yaml_text.hpp"
#include "planners/sql/expression.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <sstream>

namespace pgphase::planners::convert {

namespace internal {

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

void Converter::run() {
    for (const lint::TextError& error : m_file.text_errors()) {
        m_result.errors.error(error.mark, error.message, error.hint);
    }
    prescan();
    find_conflicts();
    find_transaction_groups();
    for (std::size_t i = 0; i < m_file.statements().size(); ++i) {
        convert(i, m_file.statements()[i]);
    }
    fold_null_fills();
}

void Converter::prescan() {
    std::vector<std::string> schemas;
    std::map<std::string, std::vector<std::string>> drops;
    std::map<std::string, std::vector<std::pair<std::string, lint::ColumnType>>> adds;
    std::map<std::string, lint::TableName> qualified; // table -> as the model keys it
    std::set<std::string> created;
    for (const Statement& statement : m_file.statements()) {
        if (statement.rolled_back) {
            continue; // never takes effect
        }
        const json tree = statement.tree();
        find_schemas(tree, schemas);
        if (statement.kind == "CreateStmt") {
            created.insert(created_table(tree));
        }
        if (statement.kind == "RenameStmt") {
            const json& rename = tree.at("RenameStmt");
            if (string_field(rename, "renameType") == "OBJECT_TYPE") {
                const auto names = string_list(
                    rename["object"].value("List", json::object()).value("items", json::array()));
                if (!names.empty()) {
                    m_dance_types.insert(names.back());
                }
            }
        }
        if (statement.kind == "AlterTableStmt") {
            const json& alter = tree.at("AlterTableStmt");
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

std::string Converter::created_table(const json& tree) {
    return string_field(tree.at("CreateStmt").at("relation"), "relname");
}

void Converter::relation_names(const json& node, std::set<std::string>& out) {
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

void Converter::force(const std::vector<std::size_t>& indexes, const std::string& why) {
    for (std::size_t index : indexes) {
        m_forced.emplace(index, why);
    }
}

void Converter::find_conflicts() {
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
        if (statement.kind.empty() || statement.rolled_back) {
            continue;
        }
        const json tree = statement.tree();
        const json& body = tree.at(statement.kind);
        std::set<std::string> tables;
        relation_names(tree, tables);
        if (statement.kind == "DropStmt") {
            for (const json& object : body.value("objects", json::array())) {
                const auto names =
                    string_list(object.value("List", json::object()).value("items", json::array()));
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
        const std::string table = string_field(body.value("relation", json::object()), "relname");
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
    // Later statements on a renamed table name it by its new name, and the planner runs them
    // on the old one until contract. One that names the old name after the rename (a new
    // table taking it, say) cannot be planned so: the rename and the statements on either
    // name run as written. So do they when one on the new name stays SQL, which a second run
    // decides (renames_to_keep_as_sql).
    for (const auto& [at, names] : table_renames) {
        std::vector<std::size_t> on_old;
        std::vector<std::size_t> on_new;
        for (std::size_t j : named[names.first]) {
            if (j > at) {
                on_old.push_back(j);
            }
        }
        for (std::size_t j : named[names.second]) {
            if (j > at) {
                on_new.push_back(j);
            }
        }
        if (!on_old.empty()) {
            std::vector<std::size_t> all = on_old;
            all.insert(all.end(), on_new.begin(), on_new.end());
            all.push_back(at);
            force(all, "table " + lint::quote_name(names.first) + " is renamed to " +
                           lint::quote_name(names.second) +
                           " and a later statement names the old name again; pgphase plans "
                           "later changes on a renamed table under its new name only, so these "
                           "run as written");
        }
        if (m_forced.count(at) != 0) {
            m_sql_created.insert(names.second);
        } else if (!on_new.empty()) {
            m_table_renames.push_back({at, names.first, names.second, on_new});
        }
    }
}

// "Relied on running together", read conservatively: a committed BEGIN ... COMMIT block of
// two or more statements (transaction statements and rolled-back ones left out) of which at
// least one is of a kind convert never maps to a schema operation on its own terms: a data
// change (UPDATE, INSERT, DELETE, COPY, ...), a function, trigger, rule, type, DO block, LOCK
// and so on. Such statements usually keep the others right (a count backfill and the
// triggers that maintain it), and pgphase would run each change in its own transaction, so
// the whole block stays one `sql` change, run as written in one transaction. A block of
// table, index and constraint DDL only is still converted statement by statement.
void Converter::find_transaction_groups() {
    static const std::set<std::string> ddl = {"CreateStmt", "IndexStmt", "DropStmt", "RenameStmt",
                                              "AlterTableStmt"};
    const auto& statements = m_file.statements();
    bool open = false;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < statements.size(); ++i) {
        const Statement& statement = statements[i];
        if (statement.kind != "TransactionStmt") {
            continue;
        }
        const std::string kind = string_field(statement.tree().at("TransactionStmt"), "kind");
        if (lint::opens_transaction(kind)) {
            if (!open) {
                open = true;
                begin = i;
            }
            continue;
        }
        if (!open || (kind != "TRANS_STMT_COMMIT" && kind != "TRANS_STMT_ROLLBACK")) {
            continue;
        }
        Group group;
        std::string reason;
        for (std::size_t j = begin + 1; j < i; ++j) {
            const Statement& inner = statements[j];
            if (inner.kind == "TransactionStmt" || inner.rolled_back || inner.kind.empty()) {
                continue;
            }
            group.indexes.push_back(j);
            if (reason.empty() && ddl.count(inner.kind) == 0) {
                reason = "line " + std::to_string(inner.mark.line) + " (" + inner.kind + ")";
            }
        }
        if (group.indexes.size() >= 2 && !reason.empty()) {
            group.why = "the BEGIN ... COMMIT of lines " +
                        std::to_string(statements[begin].mark.line) + "-" +
                        std::to_string(statement.mark.line) + " holds a statement (" + reason +
                        ") that may rely on running in one transaction with the others, and "
                        "pgphase runs each change in its own; so the block runs as written";
            m_grouped.insert(group.indexes.begin(), group.indexes.end());
            m_groups.emplace(group.indexes.front(), std::move(group));
        }
        open = false;
    }
}

std::map<std::size_t, std::string> Converter::renames_to_keep_as_sql() const {
    std::map<std::size_t, std::string> out = m_forced;
    bool more = false;
    for (const TableRename& rename : m_table_renames) {
        const auto raw = std::find_if(rename.later.begin(), rename.later.end(),
                                      [&](std::size_t j) { return m_as_sql.count(j) != 0; });
        if (raw == rename.later.end()) {
            continue;
        }
        more = true;
        const std::string why =
            "table " + lint::quote_name(rename.from) + " is renamed to " +
            lint::quote_name(rename.to) + " and line " +
            std::to_string(m_file.statements()[*raw].mark.line) +
            " on it runs as written; pgphase runs later changes on a renamed table under its "
            "old name until contract, which raw SQL cannot follow, so these run as written";
        out.emplace(rename.at, why);
        for (std::size_t j : rename.later) {
            out.emplace(j, why);
        }
    }
    return more ? out : std::map<std::size_t, std::string>{};
}

void Converter::keep_group_as_sql(const std::vector<std::size_t>& indexes, const std::string& why) {
    const auto& statements = m_file.statements();
    Change change;
    change.operation = "sql";
    change.comments.push_back("lines " + std::to_string(statements[indexes.front()].mark.line) +
                              "-" + std::to_string(statements[indexes.back()].end_line) +
                              ": kept as one SQL change: " + why);
    std::string text;
    for (std::size_t index : indexes) {
        const Statement& statement = statements[index];
        text += std::string(statement.text) + ";\n";
        if (statement.kind == "CreateStmt") {
            const std::string table = created_table(statement.tree());
            m_created.insert(table);
            m_sql_created.insert(table);
        }
    }
    text.pop_back();
    change.fields.push_back("up: " + yaml_block(text, body_indent + 2));
    ++m_result.raw_sql;
    m_result.kept_as_sql.emplace_back(statements[indexes.front()].mark.line,
                                      statements[indexes.back()].end_line);
    m_changes.push_back(std::move(change));
}

void Converter::convert(std::size_t index, const Statement& statement) {
    if (statement.invalid_bytes) {
        return; // reported, with its position, from the file's text_errors()
    }
    if (statement.rolled_back) {
        std::string shown(statement.text.substr(0, statement.text.find('\n')));
        if (shown.size() > 60) {
            shown = shown.substr(0, 57) + "...";
        }
        m_notes.push_back("line " + std::to_string(statement.mark.line) + ": `" + shown +
                          "` left out: the ROLLBACK at line " +
                          std::to_string(statement.rolled_back_line) +
                          " undoes it, so it never takes effect");
        return;
    }
    if (const auto group = m_groups.find(index); group != m_groups.end()) {
        keep_group_as_sql(group->second.indexes, group->second.why);
        m_as_sql.insert(group->second.indexes.begin(), group->second.indexes.end());
        return;
    }
    if (m_grouped.count(index) != 0) {
        return; // in the SQL change of its group
    }
    if (statement.kind.empty()) {
        if (const auto& failure = statement.failure) {
            m_result.errors.error(failure->mark, failure->message, failure->hint);
        }
        return;
    }
    if (statement.kind == "TransactionStmt") {
        m_notes.push_back("line " + std::to_string(statement.mark.line) + ": `" +
                          std::string(statement.text) +
                          "` left out: pgphase runs each change in its own transaction");
        return;
    }
    std::vector<Change> mapped;
    std::optional<Refusal> refusal;
    const auto forced = m_forced.find(index);
    const json tree = statement.tree();
    std::set<std::string> tables;
    relation_names(tree, tables);
    const auto invisible = std::find_if(tables.begin(), tables.end(),
                                        [&](const auto& t) { return m_sql_created.count(t) != 0; });
    if (forced != m_forced.end()) {
        refusal = Refusal{forced->second};
    } else if (invisible != tables.end()) {
        refusal = Refusal{"table " + lint::quote_name(*invisible) +
                          " is created by a statement kept as SQL, which the planner cannot "
                          "see, so this one runs as written too"};
    } else {
        try {
            mapped = map_statement(statement, tree);
        } catch (const Refusal& why) {
            refusal = why;
        }
    }
    if (statement.kind == "CreateStmt") {
        // Even kept as SQL: later statements on it are on a table nobody reads yet.
        m_created.insert(created_table(tree));
    }
    if (refusal) {
        if (statement.kind == "CreateStmt") {
            m_sql_created.insert(created_table(tree));
        }
        keep_as_sql(statement, tree, refusal->why);
        m_as_sql.insert(index);
        return;
    }
    for (Change& change : mapped) {
        if (change.operation == "sql") {
            m_as_sql.insert(index);
            ++m_result.raw_sql;
            m_result.kept_as_sql.emplace_back(statement.mark.line, statement.end_line);
        } else {
            ++m_result.operations;
        }
        m_changes.push_back(std::move(change));
    }
}

void Converter::keep_as_sql(const Statement& statement, const json& tree, const std::string& why) {
    Change change;
    change.operation = "sql";
    change.comments.push_back("line " + std::to_string(statement.mark.line) +
                              ": kept as SQL: " + why);
    change.fields.push_back("up: " + yaml_block(statement.text, body_indent + 2));
    if (tree.at(statement.kind).value("concurrent", false)) {
        change.fields.emplace_back("transactional: false");
    }
    ++m_result.raw_sql;
    m_result.kept_as_sql.emplace_back(statement.mark.line, statement.end_line);
    m_changes.push_back(std::move(change));
}

std::vector<Change> Converter::map_statement(const Statement& statement, const json& tree) {
    const json& body = tree.at(statement.kind);
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

std::string Converter::no_rewrite_reason(const std::string& kind) {
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

// As phases, `UPDATE t SET c = e WHERE c IS NULL; ALTER TABLE t ALTER c SET NOT NULL` must
// not become a backfill and a set_not_null without `up`: that set_not_null adds its NOT VALID
// check at expand, and PostgreSQL tests such a check on every UPDATE, so each old-app update
// of a row the backfill has not reached yet would fail. With `up`, a trigger fills NULLs the
// old version writes, the backfill fixes the rest, and the check comes after it.
void Converter::fold_null_fills() {
    for (std::size_t i = 0; i < m_changes.size(); ++i) {
        if (!m_changes[i].fills_nulls) {
            continue;
        }
        const NullFill fill = *m_changes[i].fills_nulls;
        const std::vector<std::string> target = {"table: " + yaml_scalar(fill.table),
                                                 "column: " + yaml_scalar(fill.column)};
        for (std::size_t j = i + 1; j < m_changes.size(); ++j) {
            Change& later = m_changes[j];
            if (later.operation != "set_not_null" || later.fields != target) {
                continue;
            }
            later.fields.push_back("up: " + yaml_scalar(fill.expression));
            later.comments.push_back(
                "line " + std::to_string(fill.line) +
                "'s UPDATE of the NULLs is this "
                "change's up: a trigger fills NULLs the old app version writes, a backfill "
                "the existing ones, and only then is the check added (added at expand, it "
                "would fail old-app updates of rows not yet filled)");
            m_changes.erase(m_changes.begin() + static_cast<std::ptrdiff_t>(i));
            m_result.operations -= 1;
            --i;
            break;
        }
    }
}

void Converter::render(std::ostream& out) {
    out << "# Converted by `pgphase convert` from " << m_file.path() << ".\n";
    out << "# Review every change: `# TODO` marks input only you can give, `# CONFIRM` a\n";
    out << "# guess to check, `kept as SQL` a statement that runs as written.\n";
    for (const std::string& note : m_notes) {
        out << "# " << one_line(note) << "\n";
    }
    for (const lint::PrismaWarning& warning : m_file.prisma_warnings()) {
        out << "# Prisma warned: " << one_line(warning.text) << "\n";
    }
    out << "name: " << yaml_scalar(migration_name_for(m_file.path())) << "\n";
    out << "schema: " << yaml_scalar(m_schema) << "\n";
    out << "changes:\n";
    // Each change is let go once written: a big plan is not held as changes and text at once.
    const std::string indent(body_indent, ' ');
    while (!m_changes.empty()) {
        const Change& change = m_changes.front();
        for (const std::string& comment : change.comments) {
            out << "  # " << one_line(comment) << "\n";
        }
        out << "  - " << change.operation << ":\n";
        for (const std::string& field : change.fields) {
            out << indent << field << "\n";
        }
        m_changes.pop_front();
    }
}

std::string Converter::one_line(const std::string& text) {
    std::string out = text;
    std::replace(out.begin(), out.end(), '\n', ' ');
    std::replace(out.begin(), out.end(), '\r', ' ');
    return out;
}

} // namespace internal

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

ConvertResult convert_sql(const std::string& path, std::string text,
                          const lint::SchemaModel* before,
                          const std::function<std::ostream&()>& open) {
    ConvertResult result;
    const lint::SourceFile file(path, std::move(text));
    auto converter = std::make_unique<internal::Converter>(file, before, result);
    converter->run();
    if (auto forced = converter->renames_to_keep_as_sql(); !forced.empty()) {
        result = ConvertResult{};
        converter = std::make_unique<internal::Converter>(file, before, result, std::move(forced));
        converter->run();
    }
    if (result.errors.has_errors()) {
        return result;
    }
    if (result.operations + result.raw_sql == 0) {
        result.errors.error(SourceMark{path, 1, 1}, "no statement to convert",
                            "the file holds only comments or nothing");
        return result;
    }
    converter->render(open());
    return result;
}

ConvertResult convert_sql(const std::string& path, std::string text,
                          const lint::SchemaModel* before) {
    std::ostringstream yaml;
    ConvertResult result =
        convert_sql(path, std::move(text), before, [&]() -> std::ostream& { return yaml; });
    result.yaml = std::move(yaml).str();
    return result;
}

} // namespace pgphase::planners::convert
