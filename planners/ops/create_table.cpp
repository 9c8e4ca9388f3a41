// Plans CREATE TABLE at expand: a new table is invisible to the old app version (it never names
// it) and usable by the new one at once; rollback drops it. One statement in one transaction,
// constraints inline: the table is empty, so nothing is scanned. Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/model/suggest.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/canonical.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/table_constraints.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <set>
#include <yaml-cpp/yaml.h>

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

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_create_table(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "create_table",
                     {"table", "columns", "primary_key", "unique", "checks", "foreign_keys"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    CreateTable op;
    bool ok = true;
    if (auto table = reader.identifier("table", true)) {
        op.table = *table;
    } else {
        ok = false;
    }
    if (YAML::Node columns = reader.require("columns"); columns.IsDefined()) {
        if (!columns.IsSequence() || columns.size() == 0) {
            loader.error(columns, "\"columns\" must be a non-empty list of columns",
                         "write e.g. \"columns: [{name: id, type: bigint, identity: always, "
                         "primary_key: true}]\"");
            ok = false;
        } else {
            for (const auto& item : columns) {
                auto column = load_column(loader, item, true);
                if (!column) {
                    ok = false;
                    continue;
                }
                for (const auto& earlier : op.columns) {
                    if (earlier.name == column->name) {
                        loader.error(item, "column \"" + column->name + "\" is defined twice");
                        ok = false;
                    }
                }
                op.columns.push_back(std::move(*column));
            }
        }
    } else {
        ok = false;
    }
    if (YAML::Node pk = reader.get("primary_key"); pk.IsDefined()) {
        auto names = load_name_list(loader, pk, "primary_key");
        ok = ok && names.has_value();
        op.primary_key = names.value_or(std::vector<std::string>{});
        for (const auto& column : op.columns) {
            if (column.primary_key) {
                loader.error(pk,
                             "the primary key is given twice: by \"primary_key\" and by column "
                             "\"" +
                                 column.name + "\"",
                             "keep one: \"primary_key: [a, b]\" for a composite key, or "
                             "\"primary_key: true\" on the column");
                ok = false;
            }
        }
    }
    for (const auto& column : op.columns) {
        if (column.primary_key) {
            op.primary_key.push_back(column.name);
        }
    }
    if (op.primary_key.size() > 1 && !reader.get("primary_key").IsDefined()) {
        loader.error(reader.get("columns"), "more than one column says \"primary_key: true\"",
                     "for a composite key write \"primary_key: [a, b]\" on the table");
        ok = false;
    }
    auto list_of_maps = [&](const std::string& key, auto&& each) {
        YAML::Node list = reader.get(key);
        if (!list.IsDefined()) {
            return;
        }
        if (!list.IsSequence()) {
            loader.error(list, "\"" + key + "\" must be a list");
            ok = false;
            return;
        }
        for (const auto& item : list) {
            each(item);
        }
    };
    list_of_maps("unique", [&](const YAML::Node& item) {
        MapReader unique(loader, item, "unique", {"name", "columns"});
        if (!unique.ok()) {
            ok = false;
            return;
        }
        UniqueKey key;
        key.name = unique.identifier("name", false).value_or("");
        if (YAML::Node list = unique.require("columns"); list.IsDefined()) {
            auto names = load_name_list(loader, list, "columns");
            ok = ok && names.has_value();
            key.columns = names.value_or(std::vector<std::string>{});
        } else {
            ok = false;
        }
        unique.finish();
        op.unique.push_back(std::move(key));
    });
    list_of_maps("checks", [&](const YAML::Node& item) {
        MapReader check(loader, item, "check", {"name", "expression"});
        if (!check.ok()) {
            ok = false;
            return;
        }
        auto name = check.identifier("name", false);
        auto expression = check.expression("expression", true);
        check.finish();
        if (!expression) {
            ok = false;
            return;
        }
        op.checks.push_back(TableCheck{name.value_or(""), *expression});
    });
    list_of_maps("foreign_keys", [&](const YAML::Node& item) {
        MapReader fk(loader, item, "foreign key", {"name", "columns", "references"});
        if (!fk.ok()) {
            ok = false;
            return;
        }
        TableForeignKey key;
        key.name = fk.identifier("name", false).value_or("");
        if (YAML::Node list = fk.require("columns"); list.IsDefined()) {
            auto names = load_name_list(loader, list, "columns");
            ok = ok && names.has_value();
            key.columns = names.value_or(std::vector<std::string>{});
        } else {
            ok = false;
        }
        if (YAML::Node ref = fk.require("references"); ref.IsDefined()) {
            auto reference = load_reference(loader, ref, true);
            ok = ok && reference.has_value();
            if (reference) {
                key.references = *reference;
                if (!reference->columns.empty() &&
                    reference->columns.size() != key.columns.size()) {
                    loader.error(ref,
                                 "foreign key has " + std::to_string(key.columns.size()) +
                                     " columns but references " +
                                     std::to_string(reference->columns.size()),
                                 "list as many referenced columns as referencing ones");
                    ok = false;
                }
            }
        } else {
            ok = false;
        }
        fk.finish();
        op.foreign_keys.push_back(std::move(key));
    });
    reader.finish();
    if (!ok) {
        return std::nullopt;
    }
    auto defined = [&](const std::string& name) {
        return std::any_of(op.columns.begin(), op.columns.end(),
                           [&](const ColumnDefinition& c) { return c.name == name; });
    };
    auto check_columns = [&](const std::vector<std::string>& columns, const std::string& what,
                             const YAML::Node& at) {
        std::vector<std::string> all;
        for (const auto& column : op.columns) {
            all.push_back(column.name);
        }
        for (const auto& column : columns) {
            if (!defined(column)) {
                loader.error(
                    at, what + " names column \"" + column + "\", which the table does not define",
                    did_you_mean_hint(column, all));
                ok = false;
            }
        }
    };
    check_columns(op.primary_key, "\"primary_key\"",
                  reader.get("primary_key").IsDefined() ? reader.get("primary_key") : node);
    for (const auto& key : op.unique) {
        check_columns(key.columns, "a unique key", reader.get("unique"));
    }
    for (const auto& key : op.foreign_keys) {
        check_columns(key.columns, "a foreign key", reader.get("foreign_keys"));
    }
    return ok ? std::optional<Operation>(op) : std::nullopt;
}

std::string canonical_create_table(const CreateTable& op) {
    std::string out = "create_table " + quote_ident(op.table);
    for (const auto& column : op.columns) {
        out += " column(" + quote_ident(column.name) + " " + quote_literal(column.type.sql) +
               (column.nullable ? " null" : " not_null") + " default=" +
               (column.default_value ? quote_literal(column.default_value->sql) : "-") +
               (column.primary_key ? " pk" : "") + " identity=" + column.identity +
               canonical::column_constraints(column) + ")";
    }
    out += " pk=" + canonical::names(op.primary_key);
    for (const auto& unique : op.unique) {
        out += " unique(" + quote_ident(unique.name) + canonical::names(unique.columns) + ")";
    }
    for (const auto& check : op.checks) {
        out += " check(" + quote_ident(check.name) + quote_literal(check.expression.sql) + ")";
    }
    for (const auto& fk : op.foreign_keys) {
        out += " fk(" + quote_ident(fk.name) + canonical::names(fk.columns) +
               canonical::reference(fk.references) + ")";
    }
    return out;
}

} // namespace

extern constinit const OperationUnit create_table_unit =
    operation_unit<CreateTable, load_create_table, plan_create_table, canonical_create_table,
                   claim_relation<CreateTable, &CreateTable::table, RelationKind::table>>(
        "create_table");

} // namespace pgphase::planners
