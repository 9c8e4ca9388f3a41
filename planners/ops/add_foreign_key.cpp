// Plans ADD CONSTRAINT ... FOREIGN KEY as NOT VALID at expand (metadata only; new writes are
// checked from then on) and VALIDATE in the backfill phase (a scan that reads and writes do
// not wait for). With `index: true` an index on the referencing columns is built concurrently
// first, so ON DELETE checks on the referenced table and joins do not scan. Pure.
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <set>

namespace pgphase::planners {

namespace {

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) {
        out += out.empty() ? "" : "_";
        out += part;
    }
    return out;
}

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

} // namespace pgphase::planners
