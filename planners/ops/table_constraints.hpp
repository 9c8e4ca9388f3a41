// Column and table constraints that create_table and add_column share: names after
// PostgreSQL's own convention, foreign key clauses, the queries that describe violating rows,
// and the working-catalog entries later changes see. Pure: SQL text via the quoting helpers.
#pragma once

#include "planners/model/catalog.hpp"
#include "planners/model/plan.hpp"
#include "planners/ops/op_context.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pgphase::planners {

// <table>_<columns...>_<suffix>, at most 63 bytes: "orders_email_key", "orders_user_id_fkey".
std::string constraint_name(const std::string& table, const std::vector<std::string>& columns,
                            const std::string& suffix);

// The referenced columns of `reference`: as written, or the referenced table's primary key.
// Reports an unknown or dropped table, unknown columns, and a count mismatch. `self` is the
// table being created, which may reference itself; nullptr otherwise.
std::vector<std::string> resolve_reference(OpContext& context, const ForeignKeyReference& reference,
                                           std::size_t column_count, const CreateTable* self);

// FOREIGN KEY ("a") REFERENCES "s"."t" ("id") ON DELETE CASCADE
std::string foreign_key_clause(const OpContext& context, const std::vector<std::string>& columns,
                               const ForeignKeyReference& reference,
                               const std::vector<std::string>& referenced_columns);

// Count and examples of rows that break CHECK (expression), NULL counting as passing. Examples
// name each row by `key` (see example_key) and show the `shown` columns: (id)=(7): (a)=(-1).
std::string check_violation_count_sql(const QualifiedName& table, const std::string& expression);
std::string check_violation_examples_sql(const QualifiedName& table, const std::string& expression,
                                         const std::vector<std::string>& key,
                                         const std::vector<std::string>& shown);

// Rows whose non-NULL foreign key finds no referenced row (orphans), and examples by `key`
// showing the referencing columns.
std::string orphan_count_sql(const OpContext& context, const QualifiedName& table,
                             const std::vector<std::string>& columns,
                             const ForeignKeyReference& reference,
                             const std::vector<std::string>& referenced_columns);
std::string orphan_examples_sql(const OpContext& context, const QualifiedName& table,
                                const std::vector<std::string>& columns,
                                const ForeignKeyReference& reference,
                                const std::vector<std::string>& referenced_columns,
                                const std::vector<std::string>& key);

// Rows sharing a non-NULL value of `columns` with another row, and the most repeated values:
// (a)=(7) appears 4 times.
std::string duplicate_count_sql(const QualifiedName& table,
                                const std::vector<std::string>& columns);
std::string duplicate_examples_sql(const QualifiedName& table,
                                   const std::vector<std::string>& columns);

// Records a foreign key in the working catalog on both tables, as the catalog reader does,
// with a pg_get_constraintdef-like definition that referenced_table() understands.
void record_foreign_key(Catalog& catalog, const std::string& schema, const std::string& table,
                        const std::string& name, const std::vector<std::string>& columns,
                        const ForeignKeyReference& reference,
                        const std::vector<std::string>& referenced_columns);

// The table a change works on, for any operation with a `table` field; "" otherwise.
std::string table_of(const Operation& operation);

// Refuses changes after `context`'s change that work on `table` (rename_table, drop_table: their
// contract step would run before the later changes' contract steps and break them).
void refuse_later_changes(OpContext& context, const std::string& table, const std::string& verb);

// The table a foreign key definition (pg_get_constraintdef) references: {schema or "", name}.
std::optional<std::pair<std::string, std::string>> referenced_table(const std::string& definition);

} // namespace pgphase::planners
