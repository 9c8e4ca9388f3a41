// Plans CREATE TABLE at expand: a new table is invisible to the old app version (it never names
// it) and usable by the new one at once; rollback drops it. One statement in one transaction,
// constraints inline: the table is empty, so nothing is scanned. Pure.
#include "planners/model/suggest.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/table_constraints.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <set>

namespace pgphase::planners {

namespace {

struct Named {
    std::string name;
    std::string sql; // the constraint's body
};

std::string column_sql(const ColumnDefinition& column) {
    std::string out = quote_ident(column.name) + " " + column.type.sql;
    if (!column.identity.empty()) {
        out += " GENERATED " + column.identity + " AS IDENTITY";
    }
    if (column.default_value) {
        out += " DEFAULT " + column.default_value->sql;
    }
    if (!column.nullable) {
        out += " NOT NULL";
    }
    return out;
}

void check_expression_columns(OpContext& context, const CreateTable& op, const Expression& e,
                              const std::string& what) {
    std::vector<std::string> names;
    for (const auto& column : op.columns) {
        names.push_back(column.name);
    }
    for (const auto& ref : e.column_refs) {
        if (std::find(names.begin(), names.end(), ref) == names.end()) {
            context.diagnostics.error(context.change.mark,
                                      what + " reads column \"" + op.table + "\".\"" + ref +
                                          "\", which the table does not define",
                                      did_you_mean_hint(ref, names));
        }
    }
}

} // namespace

void plan_create_table(OpContext& context, const CreateTable& op) {
    const QualifiedName table = context.table_name(op.table);
    if (context.catalog != nullptr) {
        if (context.catalog->relation(context.plan.schema, op.table) != nullptr) {
            context.diagnostics.error(context.change.mark,
                                      "relation \"" + context.plan.schema + "\".\"" + op.table +
                                          "\" already exists",
                                      "tables, views, indexes and sequences share their schema's "
                                      "namespace; choose another name");
        }
        for (const auto& other : context.catalog->tables) {
            if (other.schema == context.plan.schema && other.new_version.name == op.table) {
                context.diagnostics.error(context.change.mark,
                                          "table \"" + other.name + "\" is renamed to \"" +
                                              op.table + "\" by an earlier change",
                                          "choose another name for the new table");
            }
        }
    } else {
        context.unchecked.push_back("that no relation \"" + context.plan.schema + "\".\"" +
                                    op.table + "\" exists yet, and the tables it references");
    }

    std::vector<Named> constraints;
    CatalogTable created;
    created.schema = context.plan.schema;
    created.name = op.table;
    created.primary_key = op.primary_key;
    std::vector<std::string> relations = {op.table};

    if (!op.primary_key.empty()) {
        const std::string name = derived_name({op.table, "pkey"});
        constraints.push_back({name, "PRIMARY KEY (" + quoted_columns(op.primary_key) + ")"});
        created.indexes.push_back({name, true, true, true, op.primary_key, ""});
        created.constraints.push_back({name, 'p', true, op.primary_key, ""});
        relations.push_back(name);
    }
    auto add_unique = [&](std::string name, const std::vector<std::string>& columns) {
        if (name.empty()) {
            name = constraint_name(op.table, columns, "key");
        }
        constraints.push_back({name, "UNIQUE (" + quoted_columns(columns) + ")"});
        created.indexes.push_back({name, true, false, true, columns, ""});
        created.constraints.push_back({name, 'u', true, columns, ""});
        relations.push_back(name);
    };
    auto add_check = [&](const std::string& name, const std::vector<std::string>& columns,
                         const Expression& expression) {
        check_expression_columns(context, op, expression, "check \"" + name + "\"");
        constraints.push_back({name, "CHECK (" + expression.sql + ")"});
        created.constraints.push_back({name, 'c', true, columns, ""});
    };
    struct PendingForeignKey {
        std::string name;
        std::vector<std::string> columns;
        ForeignKeyReference reference;
        std::vector<std::string> referenced;
    };
    std::vector<PendingForeignKey> foreign_keys;
    auto add_foreign_key = [&](std::string name, const std::vector<std::string>& columns,
                               const ForeignKeyReference& reference) {
        if (name.empty()) {
            name = constraint_name(op.table, columns, "fkey");
        }
        const auto referenced = resolve_reference(context, reference, columns.size(), &op);
        constraints.push_back({name, foreign_key_clause(context, columns, reference, referenced)});
        foreign_keys.push_back({name, columns, reference, referenced});
    };

    for (const auto& column : op.columns) {
        if (column.default_value && !column.default_value->column_refs.empty()) {
            context.diagnostics.error(context.change.mark,
                                      "default of column \"" + op.table + "\".\"" + column.name +
                                          "\" reads column \"" +
                                          column.default_value->column_refs.front() + "\"",
                                      "a DEFAULT cannot refer to other columns; use a constant "
                                      "or a function such as now()");
        }
        const bool in_key = std::find(op.primary_key.begin(), op.primary_key.end(), column.name) !=
                            op.primary_key.end();
        CatalogColumn entry;
        entry.name = column.name;
        entry.type = column.type.sql;
        entry.not_null = !column.nullable || in_key || !column.identity.empty();
        if (column.default_value) {
            entry.default_expression = column.default_value->sql;
        }
        entry.identity = !column.identity.empty();
        created.columns.push_back(entry);
        if (column.unique) {
            add_unique("", {column.name});
        }
        if (column.check) {
            add_check(constraint_name(op.table, {column.name}, "check"), {column.name},
                      *column.check);
        }
        if (column.references) {
            add_foreign_key("", {column.name}, *column.references);
        }
    }
    for (const auto& unique : op.unique) {
        add_unique(unique.name, unique.columns);
    }
    for (std::size_t i = 0; i < op.checks.size(); ++i) {
        const TableCheck& check = op.checks[i];
        const std::string name = check.name.empty()
                                     ? derived_name({op.table, std::to_string(i + 1), "check"})
                                     : check.name;
        add_check(name, check.expression.column_refs, check.expression);
    }
    for (const auto& fk : op.foreign_keys) {
        add_foreign_key(fk.name, fk.columns, fk.references);
    }
    std::set<std::string> seen;
    for (const auto& constraint : constraints) {
        if (!seen.insert(constraint.name).second) {
            context.diagnostics.error(context.change.mark,
                                      "constraint \"" + constraint.name +
                                          "\" is defined twice on \"" + op.table + "\"",
                                      "give one of them another \"name\"");
        }
    }

    std::string statement = "CREATE TABLE " + table.sql() + " (";
    bool first = true;
    for (const auto& column : op.columns) {
        statement += (first ? "\n    " : ",\n    ") + column_sql(column);
        first = false;
    }
    for (const auto& constraint : constraints) {
        statement += ",\n    CONSTRAINT " + quote_ident(constraint.name) + " " + constraint.sql;
    }
    statement += "\n)";

    std::set<std::string> referenced_tables;
    for (const auto& fk : foreign_keys) {
        if (fk.reference.table != op.table) {
            referenced_tables.insert(fk.reference.table);
        }
    }
    std::string summary = "create table " + op.table;
    if (!referenced_tables.empty()) {
        std::string list;
        for (const auto& name : referenced_tables) {
            list += list.empty() ? "" : ", ";
            list += name;
        }
        summary += " (its foreign keys briefly take SHARE ROW EXCLUSIVE on " + list + ")";
    }
    Step& step = context.add_step(Phase::expand, op.table, summary);
    step.lock = LockLevel::access_exclusive; // on the new table only: no one can be waiting
    step.sql.push_back(statement);
    step.undo.push_back("DROP TABLE IF EXISTS " + table.sql());

    if (context.catalog != nullptr) {
        for (const auto& name : relations) {
            context.catalog->relations.push_back(
                {context.plan.schema, name, name == op.table ? 'r' : 'i'});
        }
        context.catalog->tables.push_back(std::move(created));
        for (const auto& fk : foreign_keys) {
            record_foreign_key(*context.catalog, context.plan.schema, op.table, fk.name, fk.columns,
                               fk.reference, fk.referenced);
        }
    }
}

} // namespace pgphase::planners
