// Plans the undo of a dropped table (written by `pgphase undo`, docs/undo.md): the table contract
// kept in the tombstone schema moves back at expand, under its name, with its data, indexes,
// triggers and owned sequences, so the app version that knew it sees it again. Its foreign keys,
// which keep_table() dropped, come back NOT VALID at expand and are validated in backfill.
// Rows written to other tables since contract are not touched. Contract records the tombstone as
// restored; rollback moves the table back into the tombstone schema. Pure.
#include "planners/load/reader.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/restore_blocks.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

void plan_restore_table(OpContext& context, const RestoreTable& op) {
    const QualifiedName kept{op.tombstone.schema, op.tombstone.name};
    const QualifiedName moved{context.plan.schema, op.tombstone.name};
    const QualifiedName table = context.table_name(op.table);
    if (context.catalog != nullptr) {
        if (context.catalog->relation(context.plan.schema, op.table) != nullptr) {
            context.diagnostics.error(context.change.mark,
                                      "relation \"" + context.plan.schema + "\".\"" + op.table +
                                          "\" already exists",
                                      "the kept table cannot take its name back");
        }
        const CatalogTable* found = context.catalog->table(kept.schema, kept.name);
        if (found == nullptr) {
            context.diagnostics.error(context.change.mark,
                                      "the kept table " + kept.display() + " does not exist",
                                      "it was purged (pgphase purge), or dropped by hand");
        } else {
            // The new version's view shows it again, under its name.
            CatalogTable back = *found;
            back.schema = context.plan.schema;
            back.name = op.table;
            back.new_version = {};
            context.catalog->tables.push_back(std::move(back));
            context.catalog->relations.push_back({context.plan.schema, op.table, 'r'});
        }
    }

    Step& expand =
        context.add_step(Phase::expand, op.table,
                         "bring back table " + op.table + " from its tombstone " + kept.display());
    expand.lock = LockLevel::access_exclusive;
    expand.sql = {
        "ALTER TABLE " + kept.sql() + " SET SCHEMA " + quote_ident(context.plan.schema),
        "ALTER TABLE " + moved.sql() + " RENAME TO " + quote_ident(op.table),
    };
    const std::size_t expand_index = context.steps.size() - 1;
    const RelaxedRebuild rebuild = rebuild_relaxed(context, op.table, op.tombstone.relaxed);
    Step& step = context.steps[expand_index];
    attach_to_expand(step, rebuild);
    step.undo.push_back("ALTER TABLE " + table.sql() + " RENAME TO " +
                        quote_ident(op.tombstone.name));
    step.undo.push_back("ALTER TABLE " + moved.sql() + " SET SCHEMA " +
                        quote_ident(op.tombstone.schema));

    Step& contract = context.add_step(Phase::contract, op.table,
                                      "table " + op.table +
                                          " is back: record its tombstone as "
                                          "restored");
    contract.lock = LockLevel::none;
    contract.sql = rebuild.contract;
    if (!contract.sql.empty()) {
        contract.lock = LockLevel::access_exclusive;
    }
    contract.sql.push_back(mark_restored(context, "table", table, op.tombstone.name));
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_restore_table(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "restore_table", {"table", "tombstone"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    std::optional<Tombstone> tombstone;
    if (YAML::Node kept = reader.require("tombstone"); kept.IsDefined()) {
        tombstone = load_tombstone(loader, kept, "tombstone", true);
    }
    reader.finish();
    if (!table || !tombstone) {
        return std::nullopt;
    }
    return RestoreTable{*table, *tombstone};
}

std::string canonical_restore_table(const RestoreTable& op) {
    return "restore_table " + quote_ident(op.table) + canonical_tombstone(op.tombstone);
}

} // namespace

extern constinit const OperationUnit restore_table_unit =
    operation_unit<RestoreTable, load_restore_table, plan_restore_table, canonical_restore_table,
                   claim_relation<RestoreTable, &RestoreTable::table, RelationKind::table>>(
        "restore_table");

} // namespace pgphase::planners
