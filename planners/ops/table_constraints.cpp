// Shared constraint pieces for create_table and add_column. Pure.
#include "planners/ops/table_constraints.hpp"

#include "planners/ops/building_blocks.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>

namespace pgphase::planners {

std::string constraint_name(const std::string& table, const std::vector<std::string>& columns,
                            const std::string& suffix) {
    std::string joined;
    for (const auto& column : columns) {
        joined += joined.empty() ? "" : "_";
        joined += column;
    }
    return joined.empty() ? derived_name({table, suffix}) : derived_name({table, joined, suffix});
}

std::vector<std::string> resolve_reference(OpContext& context, const ForeignKeyReference& reference,
                                           std::size_t column_count, const CreateTable* self) {
    std::vector<std::string> columns = reference.columns;
    const std::string target = "\"" + reference.table + "\"";
    if (self != nullptr && self->table == reference.table) {
        if (columns.empty()) {
            columns = self->primary_key;
        }
        for (const auto& column : columns) {
            const bool defined = std::any_of(self->columns.begin(), self->columns.end(),
                                             [&](const auto& c) { return c.name == column; });
            if (!defined) {
                context.diagnostics.error(context.change.mark, "referenced column " + target +
                                                                   ".\"" + column +
                                                                   "\" does not exist");
            }
        }
    } else if (CatalogTable* table = context.find_table(reference.table)) {
        if (table->new_version.dropped) {
            context.diagnostics.error(context.change.mark,
                                      "table " + target + " is dropped by an earlier change",
                                      "a foreign key cannot reference a table that contract drops");
        }
        if (columns.empty()) {
            columns = table->primary_key;
            if (columns.empty()) {
                context.diagnostics.error(
                    context.change.mark, "table " + target + " has no primary key to reference",
                    "name the referenced column(s) of a unique key in \"references\"");
            }
        }
        for (const auto& column : columns) {
            context.find_column(*table, column, "referenced");
        }
    }
    if (!columns.empty() && columns.size() != column_count) {
        context.diagnostics.error(context.change.mark,
                                  "foreign key to " + target + " has " +
                                      std::to_string(column_count) + " columns, its target " +
                                      std::to_string(columns.size()),
                                  "name as many referenced columns as referencing ones");
    }
    return columns;
}

std::string foreign_key_clause(const OpContext& context, const std::vector<std::string>& columns,
                               const ForeignKeyReference& reference,
                               const std::vector<std::string>& referenced_columns) {
    std::string out = "FOREIGN KEY (" + quoted_columns(columns) + ") REFERENCES " +
                      context.table_name(reference.table).sql();
    if (!referenced_columns.empty()) {
        out += " (" + quoted_columns(referenced_columns) + ")";
    }
    if (reference.on_delete != "NO ACTION") {
        out += " ON DELETE " + reference.on_delete;
    }
    return out;
}

namespace {

std::string all_not_null(const std::vector<std::string>& columns, const std::string& prefix) {
    std::string out;
    for (const auto& column : columns) {
        out += out.empty() ? "" : " AND ";
        out += prefix + quote_ident(column) + " IS NOT NULL";
    }
    return out;
}

// Over the table's rows as `alias`.
std::string orphan_condition(const OpContext& context, const std::vector<std::string>& columns,
                             const ForeignKeyReference& reference,
                             const std::vector<std::string>& referenced_columns,
                             const std::string& alias) {
    std::string match;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        match += match.empty() ? "" : " AND ";
        match += "pgphase_r." + quote_ident(referenced_columns[i]) + " = " + alias + "." +
                 quote_ident(columns[i]);
    }
    return all_not_null(columns, alias + ".") + " AND NOT EXISTS (SELECT 1 FROM " +
           context.table_name(reference.table).sql() + " AS pgphase_r WHERE " + match + ")";
}

} // namespace

std::string check_violation_count_sql(const QualifiedName& table, const std::string& expression) {
    return "SELECT count(*) FROM " + table.sql() + " AS pgphase_t WHERE NOT (" + expression + ")";
}

std::string check_violation_examples_sql(const QualifiedName& table, const std::string& expression,
                                         const std::vector<std::string>& key,
                                         const std::vector<std::string>& shown) {
    std::vector<std::string> distinct;
    for (const auto& column : shown) {
        if (std::find(distinct.begin(), distinct.end(), column) == distinct.end()) {
            distinct.push_back(column);
        }
    }
    return examples_by_key_sql(table, key, "NOT (" + expression + ")", distinct);
}

std::string orphan_count_sql(const OpContext& context, const QualifiedName& table,
                             const std::vector<std::string>& columns,
                             const ForeignKeyReference& reference,
                             const std::vector<std::string>& referenced_columns) {
    if (referenced_columns.size() != columns.size()) {
        return {};
    }
    return "SELECT count(*) FROM " + table.sql() + " AS pgphase_t WHERE " +
           orphan_condition(context, columns, reference, referenced_columns, "pgphase_t");
}

std::string orphan_examples_sql(const OpContext& context, const QualifiedName& table,
                                const std::vector<std::string>& columns,
                                const ForeignKeyReference& reference,
                                const std::vector<std::string>& referenced_columns,
                                const std::vector<std::string>& key) {
    if (referenced_columns.size() != columns.size()) {
        return {};
    }
    return examples_by_key_sql(
        table, key,
        orphan_condition(context, columns, reference, referenced_columns, "pgphase_row"), columns);
}

std::string duplicate_count_sql(const QualifiedName& table,
                                const std::vector<std::string>& columns) {
    return "SELECT coalesce(sum(pgphase_n), 0) FROM (SELECT count(*) AS pgphase_n FROM " +
           table.sql() + " AS pgphase_t WHERE " + all_not_null(columns, "pgphase_t.") +
           " GROUP BY " + quoted_columns(columns) + " HAVING count(*) > 1) AS pgphase_d";
}

std::string duplicate_examples_sql(const QualifiedName& table,
                                   const std::vector<std::string>& columns) {
    return "SELECT " + describe_values_sql(columns, "pgphase_t") +
           " || ' appears ' || count(*) || ' times' FROM " + table.sql() + " AS pgphase_t WHERE " +
           all_not_null(columns, "pgphase_t.") + " GROUP BY " + quoted_columns(columns) +
           " HAVING count(*) > 1 ORDER BY count(*) DESC "
           "LIMIT 5";
}

void record_foreign_key(Catalog& catalog, const std::string& schema, const std::string& table,
                        const std::string& name, const std::vector<std::string>& columns,
                        const ForeignKeyReference& reference,
                        const std::vector<std::string>& referenced_columns) {
    const std::string definition = "FOREIGN KEY (" + quoted_columns(columns) + ") REFERENCES " +
                                   QualifiedName{schema, reference.table}.sql() + "(" +
                                   quoted_columns(referenced_columns) + ")";
    for (auto& candidate : catalog.tables) {
        if (candidate.schema != schema) {
            continue;
        }
        if (candidate.name == table) {
            candidate.constraints.push_back({name, 'f', true, columns, definition});
        } else if (candidate.name == reference.table) {
            candidate.constraints.push_back({name, 'f', true, referenced_columns, definition});
        }
    }
}

std::string table_of(const Operation& operation) {
    return std::visit(
        [](const auto& op) -> std::string {
            if constexpr (requires { op.table; }) {
                return op.table;
            } else {
                return {};
            }
        },
        operation);
}

void refuse_later_changes(OpContext& context, const std::string& table, const std::string& verb) {
    for (std::size_t i = static_cast<std::size_t>(context.change_index) + 1;
         i < context.plan.changes.size(); ++i) {
        const Change& later = context.plan.changes[i];
        if (table_of(later.operation) != table) {
            continue;
        }
        context.diagnostics.error(later.mark,
                                  "change " + std::to_string(i + 1) + " (" +
                                      operation_name(later.operation) + ") works on table \"" +
                                      table + "\", which change " +
                                      std::to_string(context.change_index + 1) + " " + verb,
                                  "put the other changes to \"" + table + "\" before the " +
                                      operation_name(context.change.operation) +
                                      " in this plan, or run it in its own migration");
    }
}

namespace {

// One identifier as pg_get_constraintdef prints it: "quo""ted" or bare. Advances `at`.
std::optional<std::string> read_identifier(const std::string& text, std::size_t& at) {
    if (at >= text.size()) {
        return std::nullopt;
    }
    std::string out;
    if (text[at] == '"') {
        for (++at; at < text.size(); ++at) {
            if (text[at] == '"') {
                if (at + 1 < text.size() && text[at + 1] == '"') {
                    out += '"';
                    ++at;
                    continue;
                }
                ++at;
                return out;
            }
            out += text[at];
        }
        return std::nullopt;
    }
    while (at < text.size() && text[at] != '.' && text[at] != '(' && text[at] != ' ') {
        out += text[at++];
    }
    return out.empty() ? std::nullopt : std::optional(out);
}

} // namespace

std::optional<std::pair<std::string, std::string>> referenced_table(const std::string& definition) {
    const std::string keyword = " REFERENCES ";
    const auto found = definition.find(keyword);
    if (definition.rfind("FOREIGN KEY", 0) != 0 || found == std::string::npos) {
        return std::nullopt;
    }
    std::size_t at = found + keyword.size();
    auto first = read_identifier(definition, at);
    if (!first) {
        return std::nullopt;
    }
    if (at < definition.size() && definition[at] == '.') {
        ++at;
        auto second = read_identifier(definition, at);
        if (!second) {
            return std::nullopt;
        }
        return std::make_pair(*first, *second);
    }
    return std::make_pair(std::string(), *first);
}

} // namespace pgphase::planners
