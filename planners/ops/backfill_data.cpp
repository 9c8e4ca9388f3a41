// Plans a pure data migration (the `backfill` operation) as a BackfillTask run by the backfill
// engine: keyset batches, checkpoints, throttling. Each assignment is written as "the value the
// row should have" (the row's own value outside `where`), so the pending predicate selects only
// rows that differ, reruns write nothing, and `verify` can compare every row. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

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

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_backfill_data(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "backfill", {"table", "set", "where"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    BackfillData out;
    bool set_ok = false;
    if (YAML::Node set = reader.require("set"); set.IsDefined()) {
        if (!set.IsMap() || set.size() == 0) {
            loader.error(set, "\"set\" must map one or more columns to expressions",
                         "write e.g. set: {status: \"lower(status)\"}");
        } else {
            MapReader columns(loader, set, "set", {});
            set_ok = true;
            for (const auto& item : set) {
                if (!item.first.IsScalar()) {
                    set_ok = false; // reported by the reader
                    continue;
                }
                const std::string column = item.first.Scalar();
                if (std::any_of(out.set.begin(), out.set.end(),
                                [&](const auto& done) { return done.first == column; })) {
                    set_ok = false; // a duplicate key, reported by the reader
                    continue;
                }
                if (auto problem = identifier_problem(column)) {
                    loader.error(item.first, "bad column name in \"set\": " + *problem);
                    set_ok = false;
                    continue;
                }
                auto expression = columns.expression(column, true);
                if (!expression) {
                    set_ok = false;
                    continue;
                }
                out.set.emplace_back(column, *expression);
            }
        }
    }
    auto where = reader.expression("where", false);
    reader.finish();
    if (!table || !set_ok) {
        return std::nullopt;
    }
    out.table = *table;
    out.where = where;
    return out;
}

std::string canonical_backfill_data(const BackfillData& op) {
    std::string out = "backfill " + quote_ident(op.table);
    for (const auto& [column, expression] : op.set) {
        out += " " + quote_ident(column) + "=" + quote_literal(expression.sql);
    }
    out += " where=" + (op.where ? quote_literal(op.where->sql) : std::string("-"));
    return out;
}

} // namespace

extern constinit const OperationUnit backfill_data_unit =
    operation_unit<BackfillData, load_backfill_data, plan_backfill_data, canonical_backfill_data>(
        "backfill");

} // namespace pgphase::planners
