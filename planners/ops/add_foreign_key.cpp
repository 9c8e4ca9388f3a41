// Plans ADD CONSTRAINT ... FOREIGN KEY as NOT VALID at expand (metadata only; new writes are
// checked from then on) and VALIDATE in the backfill phase (a scan that reads and writes do
// not wait for). With `index: true` an index on the referencing columns is built concurrently
// first, so ON DELETE checks on the referenced table and joins do not scan. Pure.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/canonical.hpp"
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <set>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// Referenced columns need a unique or primary key constraint, or a unique index without a
// predicate, on exactly those columns (in any order), as PostgreSQL requires.
bool has_unique_key(const CatalogTable& table, const std::vector<std::string>& columns) {
    const std::set<std::string> wanted(columns.begin(), columns.end());
    for (const auto& constraint : table.constraints) {
        if ((constraint.type == 'p' || constraint.type == 'u') &&
            std::set<std::string>(constraint.columns.begin(), constraint.columns.end()) == wanted) {
            return true;
        }
    }
    for (const auto& index : table.indexes) {
        if (index.unique && index.valid && index.definition.find(" WHERE ") == std::string::npos &&
            std::set<std::string>(index.columns.begin(), index.columns.end()) == wanted) {
            return true;
        }
    }
    return std::set<std::string>(table.primary_key.begin(), table.primary_key.end()) == wanted;
}

// The referenced columns: as written, or the referenced table's primary key.
std::vector<std::string> referenced_columns(OpContext& context, const AddForeignKey& op) {
    if (context.catalog == nullptr) {
        return op.references_columns;
    }
    CatalogTable* parent = context.find_table(op.references_table);
    if (parent == nullptr) {
        return op.references_columns;
    }
    std::vector<std::string> columns = op.references_columns;
    if (columns.empty()) {
        if (parent->primary_key.empty()) {
            context.diagnostics.error(
                context.change.mark,
                "foreign key \"" + op.name + "\" references table \"" + op.references_table +
                    "\", which has no primary key",
                "name the referenced columns in references.columns (they need a unique "
                "constraint)");
            return columns;
        }
        columns = parent->primary_key;
    }
    bool known = true;
    for (const auto& column : columns) {
        known = context.find_column(*parent, column, "referenced") != nullptr && known;
    }
    if (known && columns.size() != op.columns.size()) {
        context.diagnostics.error(context.change.mark,
                                  "foreign key \"" + op.name + "\" has " +
                                      std::to_string(op.columns.size()) +
                                      " columns but the primary key of \"" + op.references_table +
                                      "\" has " + std::to_string(columns.size()),
                                  "list the referenced columns in references.columns");
    } else if (known && !has_unique_key(*parent, columns)) {
        context.diagnostics.error(
            context.change.mark,
            "no unique constraint on \"" + op.references_table + "\" (" + quoted_columns(columns) +
                ") for foreign key \"" + op.name + "\" to reference",
            "a foreign key must reference a primary key or unique columns; add one first with "
            "add_unique (in an earlier change of this plan, or an earlier migration)");
    }
    return columns;
}

} // namespace

void plan_add_foreign_key(OpContext& context, const AddForeignKey& op) {
    CatalogTable* found = context.find_table(op.table);
    const std::vector<std::string> parent_columns = referenced_columns(context, op);
    check_not_replaced_earlier(context, op.table, op.columns);
    check_not_replaced_earlier(context, op.references_table,
                               op.references_columns.empty() ? parent_columns
                                                             : op.references_columns);
    const std::string index_name = derived_name({op.table, joined(op.columns), "idx"});
    if (found != nullptr) {
        for (const auto& column : op.columns) {
            context.find_column(*found, column, "referencing");
        }
        refuse_taken_constraint_name(context, *found, op.name);
        if (op.index) {
            refuse_taken_relation_name(context, index_name, "the index of foreign key " + op.name);
            context.catalog->relations.push_back({context.plan.schema, index_name, 'i'});
            found->indexes.push_back({index_name, false, false, true, op.columns, ""});
        }
        CatalogConstraint added;
        added.name = op.name;
        added.type = 'f';
        added.columns = op.columns;
        added.definition = "FOREIGN KEY (" + quoted_columns(op.columns) + ") REFERENCES " +
                           quote_ident(op.references_table) + "(" + quoted_columns(parent_columns) +
                           ")";
        found->constraints.push_back(added);
    }

    const QualifiedName table = context.table_name(op.table);
    const QualifiedName parent = context.table_name(op.references_table);
    if (op.index) {
        const QualifiedName index{context.plan.schema, index_name};
        Step& build = context.add_step(Phase::expand, op.table,
                                       "build index " + index_name + " on " + op.table +
                                           " concurrently for foreign key " + op.name);
        build.lock = LockLevel::share_update_exclusive;
        build.transactional = false;
        build.sql.push_back("CREATE INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(index_name) +
                            " ON " + table.sql() + " (" + quoted_columns(op.columns) + ")");
        build.concurrent_index = ConcurrentIndex{index};
        build.undo.push_back("DROP INDEX CONCURRENTLY IF EXISTS " + index.sql());
        build.undo_transactional = false;
    }

    // Without the referenced columns (no catalog), REFERENCES alone means the primary key.
    std::string references = parent.sql();
    if (!parent_columns.empty()) {
        references += " (" + quoted_columns(parent_columns) + ")";
    }
    Step& expand = context.add_step(Phase::expand, op.table,
                                    "add foreign key " + op.name + " on " + op.table +
                                        " referencing " + op.references_table + " not valid");
    // SHARE ROW EXCLUSIVE on both tables: writes wait only for this metadata change.
    expand.lock = LockLevel::share_row_exclusive;
    expand.sql.push_back("ALTER TABLE " + table.sql() + " ADD CONSTRAINT " + quote_ident(op.name) +
                         " FOREIGN KEY (" + quoted_columns(op.columns) + ") REFERENCES " +
                         references + " ON DELETE " + op.on_delete + " ON UPDATE " + op.on_update +
                         " NOT VALID");
    expand.undo.push_back("ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " +
                          quote_ident(op.name));

    // MATCH SIMPLE: a row with any NULL in the key is not checked.
    std::string orphan;
    for (const auto& column : op.columns) {
        orphan += "pgphase_row." + quote_ident(column) + " IS NOT NULL AND ";
    }
    std::string match;
    const std::vector<std::string>& matched =
        parent_columns.empty() ? op.columns : parent_columns; // unknown: assume the same names
    for (std::size_t i = 0; i < op.columns.size() && i < matched.size(); ++i) {
        match += match.empty() ? "" : " AND ";
        match += "pgphase_parent." + quote_ident(matched[i]) + " = pgphase_row." +
                 quote_ident(op.columns[i]);
    }
    orphan += "NOT EXISTS (SELECT FROM " + parent.sql() + " AS pgphase_parent WHERE " + match + ")";
    Step& validate = add_validate_constraint(context, op.table, op.name, orphan, op.columns, found);
    validate.summary += " (no orphan rows)";
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<std::string> referential_action(Loader& loader, MapReader& reader,
                                              const std::string& key) {
    static const std::vector<std::string> actions = {"no_action", "restrict", "cascade", "set_null",
                                                     "set_default"};
    auto text = reader.string(key, false);
    if (!text) {
        return "NO ACTION";
    }
    std::string word = *text;
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) {
        return c == ' ' ? '_' : static_cast<char>(std::tolower(c));
    });
    if (std::find(actions.begin(), actions.end(), word) == actions.end()) {
        loader.error(reader.get(key), "unknown " + key + " action \"" + *text + "\"",
                     did_you_mean(word, actions));
        return std::nullopt;
    }
    std::string sql;
    for (char c : word) {
        sql += c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return sql;
}

std::optional<Operation> load_add_foreign_key(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "add_foreign_key",
                     {"table", "name", "columns", "references", "on_delete", "on_update", "index"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto columns = column_list(loader, reader, "columns", true);
    std::optional<std::string> references_table;
    std::vector<std::string> references_columns;
    bool references_ok = false;
    if (YAML::Node references = reader.require("references"); references.IsDefined()) {
        MapReader target(loader, references, "references", {"table", "columns"});
        if (target.ok()) {
            references_table = target.identifier("table", true);
            references_ok = references_table.has_value();
            if (target.get("columns").IsDefined()) {
                auto listed = column_list(loader, target, "columns", false);
                references_ok = references_ok && listed.has_value();
                if (listed) {
                    references_columns = *listed;
                }
            }
            target.finish();
        }
    }
    auto on_delete = referential_action(loader, reader, "on_delete");
    auto on_update = referential_action(loader, reader, "on_update");
    auto index = reader.boolean("index");
    std::optional<std::string> name = reader.identifier("name", false);
    if (!name && table && columns) {
        name = derived_name({*table, joined(*columns), "fkey"}); // PostgreSQL's default
    }
    reader.finish();
    if (!table || !columns || !references_ok || !on_delete || !on_update || !name) {
        return std::nullopt;
    }
    if (!references_columns.empty() && references_columns.size() != columns->size()) {
        loader.error(reader.get("references"),
                     "foreign key \"" + *name + "\" has " + std::to_string(columns->size()) +
                         " columns but references " + std::to_string(references_columns.size()),
                     "list one referenced column for each column, in the same order");
        return std::nullopt;
    }
    AddForeignKey op;
    op.table = *table;
    op.name = *name;
    op.columns = *columns;
    op.references_table = *references_table;
    op.references_columns = references_columns;
    op.on_delete = *on_delete;
    op.on_update = *on_update;
    op.index = index.value_or(false);
    return op;
}

std::string canonical_add_foreign_key(const AddForeignKey& op) {
    return "add_foreign_key " + quote_ident(op.table) + " " + quote_ident(op.name) +
           canonical::columns(op.columns) + " " + quote_ident(op.references_table) +
           canonical::columns(op.references_columns) + " " + quote_literal(op.on_delete) + " " +
           quote_literal(op.on_update) + (op.index ? " index" : " no_index");
}

} // namespace

extern constinit const OperationUnit add_foreign_key_unit =
    operation_unit<AddForeignKey, load_add_foreign_key, plan_add_foreign_key,
                   canonical_add_foreign_key>("add_foreign_key");

} // namespace pgphase::planners
