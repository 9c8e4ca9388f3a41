// Plans the undo of a dropped column (written by `pgphase undo`, docs/undo.md): the tombstone
// contract kept gets its name back at expand, so the app version that knew the column sees it
// again (its version schema's view shows it) with every value it had at contract. The rows
// written since then are marked; `down` fills them in a backfill, and a trigger fills the
// column for the writes of the app version that does not know it. What keep_column() relaxed is
// rebuilt online. Contract drops the marker and records the tombstone as restored. Rollback
// renames the column back into a tombstone, marker trigger and all. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/restore_blocks.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// drop_column's trigger, with one more reason to recompute: a row written since contract holds
// a stale kept value. Every write leaves the row unmarked: its value is right from then on.
Quoted restore_body(const RestoreColumn& op) {
    std::string recompute = inputs_changed(*op.down);
    Quoted unmark;
    if (!op.tombstone.marker.empty()) {
        recompute = "OLD." + quote_ident(op.tombstone.marker) + " IS TRUE" +
                    (recompute.empty() ? "" : " OR " + recompute);
        unmark =
            render_sql("    NEW.{marker} := NULL;\n", {{"marker", ident(op.tombstone.marker)}});
    }
    return fill_from_down_body(op.column, *op.down, recompute, unmark);
}

void check_against_catalog(OpContext& context, const RestoreColumn& op, CatalogTable& table) {
    const std::string label = "\"" + op.table + "\".\"";
    if (table.column(op.column) != nullptr) {
        context.diagnostics.error(context.change.mark,
                                  "column " + label + op.column + "\" already exists",
                                  "the kept column cannot take its name back");
    }
    auto kept = std::find_if(table.columns.begin(), table.columns.end(),
                             [&](const CatalogColumn& c) { return c.name == op.tombstone.name; });
    if (kept == table.columns.end()) {
        context.diagnostics.error(context.change.mark,
                                  "the kept column " + label + op.tombstone.name +
                                      "\" does not exist",
                                  "it was purged (pgphase purge), or dropped by hand");
        return;
    }
    if (!op.tombstone.marker.empty() && table.column(op.tombstone.marker) == nullptr) {
        context.diagnostics.error(context.change.mark,
                                  "the marker column " + label + op.tombstone.marker +
                                      "\" of the kept column does not exist",
                                  "without it the rows written since contract are not known");
    }
    if (op.down) {
        for (const auto& ref : op.down->column_refs) {
            context.find_column(table, ref, "read by down");
        }
    }
    kept->name = op.column; // the new version's view shows it
}

} // namespace

void plan_restore_column(OpContext& context, const RestoreColumn& op) {
    if (CatalogTable* found = context.find_table(op.table)) {
        check_against_catalog(context, op, *found);
    }
    const QualifiedName table = context.table_name(op.table);
    const std::string& marker = op.tombstone.marker;
    const SyncTrigger sync = sync_trigger_names(context);

    Step& expand = context.add_step(Phase::expand, op.table,
                                    "bring back column " + op.table + "." + op.column +
                                        " from its tombstone " + op.tombstone.name);
    expand.lock = LockLevel::access_exclusive;
    expand.sql.push_back("ALTER TABLE " + table.sql() + " RENAME COLUMN " +
                         quote_ident(op.tombstone.name) + " TO " + quote_ident(op.column));
    if (!marker.empty()) {
        expand.sql.push_back(stop_marking(table, marker));
    }
    if (op.down) {
        for (auto& statement : create_sync_trigger(context, sync, table, restore_body(op))) {
            expand.sql.push_back(std::move(statement));
        }
    }
    const std::size_t expand_index = context.steps.size() - 1;

    if (op.down && !marker.empty()) {
        Step& backfill = context.add_step(Phase::backfill, op.table,
                                          "fill " + op.table + "." + op.column +
                                              " from down in the rows written since contract");
        backfill.kind = StepKind::backfill;
        backfill.lock = LockLevel::row_exclusive;
        backfill.backfill = BackfillTask{table,
                                         {},
                                         {{op.column, op.down->sql}, {marker, "NULL"}},
                                         quote_ident(marker) + " IS TRUE"};
    }
    const RelaxedRebuild rebuild = rebuild_relaxed(context, op.table, op.tombstone.relaxed);
    {
        // References into context.steps do not survive the steps added since.
        Step& step = context.steps[expand_index];
        attach_to_expand(step, rebuild);
        if (op.down) {
            for (auto& statement : drop_sync_trigger(sync, table)) {
                step.undo.push_back(std::move(statement));
            }
        }
        if (!marker.empty()) {
            for (auto& statement : resume_marking(context, table, marker)) {
                step.undo.push_back(std::move(statement));
            }
        }
        step.undo.push_back("ALTER TABLE " + table.sql() + " RENAME COLUMN " +
                            quote_ident(op.column) + " TO " + quote_ident(op.tombstone.name));
    }

    Step& contract =
        context.add_step(Phase::contract, op.table,
                         "column " + op.table + "." + op.column + " is back: drop its marker" +
                             (op.down ? " and sync trigger" : ""));
    contract.lock = LockLevel::access_exclusive;
    if (op.down) {
        contract.sql = drop_sync_trigger(sync, table);
    }
    if (!marker.empty()) {
        for (auto& statement : drop_marker(context, table, marker)) {
            contract.sql.push_back(std::move(statement));
        }
    }
    for (const auto& statement : rebuild.contract) {
        contract.sql.push_back(statement);
    }
    contract.sql.push_back(mark_restored(context, "column", table, op.tombstone.name));
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_restore_column(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "restore_column", {"table", "column", "tombstone", "down"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto column = reader.identifier("column", true);
    std::optional<Tombstone> tombstone;
    if (YAML::Node kept = reader.require("tombstone"); kept.IsDefined()) {
        tombstone = load_tombstone(loader, kept, "tombstone", false);
    }
    auto down = reader.expression("down", false);
    reader.finish();
    if (!table || !column || !tombstone) {
        return std::nullopt;
    }
    return RestoreColumn{*table, *column, *tombstone, down};
}

std::string canonical_restore_column(const RestoreColumn& op) {
    return "restore_column " + quote_ident(op.table) + " " + quote_ident(op.column) +
           canonical_tombstone(op.tombstone) +
           " down=" + (op.down ? quote_literal(op.down->sql) : std::string("-"));
}

} // namespace

extern constinit const OperationUnit restore_column_unit =
    operation_unit<RestoreColumn, load_restore_column, plan_restore_column,
                   canonical_restore_column>("restore_column");

} // namespace pgphase::planners
