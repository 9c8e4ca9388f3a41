// Plans a pure data migration (the `backfill` operation) as a BackfillTask run by the backfill
// engine: keyset batches, checkpoints, throttling. Each assignment is written as "the value the
// row should have" (the row's own value outside `where`), so the pending predicate selects only
// rows that differ, reruns write nothing, and `verify` can compare every row. Pure.
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>

namespace pgphase::planners {

namespace {

void check_against_catalog(OpContext& context, const BackfillData& op) {
    CatalogTable* table = context.find_table(op.table);
    if (table == nullptr) {
        return;
    }
    if (table->primary_key.empty()) {
        context.diagnostics.error(
            context.change.mark, "table \"" + op.table + "\" has no primary key",
            "the backfill walks the primary key; tables without one are not supported yet");
    }
    for (const auto& [name, expression] : op.set) {
        const CatalogColumn* column = context.find_column(*table, name, "set");
        if (column != nullptr) {
            const std::string quoted = "\"" + op.table + "\".\"" + name + "\"";
            if (std::find(table->primary_key.begin(), table->primary_key.end(), name) !=
                table->primary_key.end()) {
                context.diagnostics.error(context.change.mark,
                                          "column " + quoted + " is part of the primary key",
                                          "the backfill walks the primary key in batches; "
                                          "changing it under the walk is not supported");
            } else if (column->generated) {
                context.diagnostics.error(context.change.mark,
                                          "column " + quoted + " is a generated column",
                                          "its value is computed from other columns; set those");
            }
        }
        for (const auto& read : expression.column_refs) {
            context.find_column(*table, read, "read by set." + name);
        }
    }
    if (op.where) {
        for (const auto& read : op.where->column_refs) {
            context.find_column(*table, read, "read by where");
        }
    }
}

} // namespace

void plan_backfill_data(OpContext& context, const BackfillData& op) {
    check_against_catalog(context, op);
    const QualifiedName table = context.table_name(op.table);
    BackfillTask task;
    task.table = table;
    std::string differs;
    std::string columns;
    for (const auto& [name, expression] : op.set) {
        const std::string column = quote_ident(name);
        std::string value = "(" + expression.sql + ")";
        if (op.where) {
            value = "CASE WHEN (" + op.where->sql + ") THEN " + value + " ELSE " + column + " END";
        }
        task.set.push_back({name, value});
        differs += differs.empty() ? "" : " OR ";
        differs += changed(column, "(" + expression.sql + ")");
        columns += columns.empty() ? "" : ", ";
        columns += name;
    }
    task.pending_predicate = op.where ? "(" + op.where->sql + ") AND (" + differs + ")" : differs;

    Step& step = context.add_step(Phase::backfill, op.table,
                                  "backfill " + op.table + " (" + columns + ")" +
                                      (op.where ? " where " + op.where->source : ""));
    step.kind = StepKind::backfill;
    step.lock = LockLevel::row_exclusive;
    step.backfill = std::move(task);
}

} // namespace pgphase::planners
