// Plans ADD CONSTRAINT ... CHECK as NOT VALID at expand (metadata only: new writes are checked
// from then on, existing rows are not scanned) and VALIDATE in the backfill phase (a scan under
// SHARE UPDATE EXCLUSIVE, which reads and writes do not wait for). Pure.
//
// With `up`, violating rows are fixed rather than refused: a trigger applies `up` to every write
// that would break the check during expand (so an old app version that does not know the rule
// keeps working), and a backfill applies it to existing rows where the check is false, before
// VALIDATE. Without `up`, existing violators make VALIDATE fail with a count and examples.
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>

namespace pgphase::planners {

namespace {

// True for a row (NEW, or the table's row in a WHERE) that the check rejects. A NULL result
// passes a CHECK, so only FALSE counts.
std::string violates(const AddCheck& op) {
    return "(" + op.check.sql + ") IS FALSE";
}

std::string fix_body(const AddCheck& op) {
    std::string values;
    std::string targets;
    for (const auto& [column, value] : op.up) {
        values += values.empty() ? "" : ", ";
        values += "(" + value.sql + ")";
        targets += targets.empty() ? "" : ", ";
        targets += "NEW." + quote_ident(column);
    }
    const std::string row = " FROM (SELECT NEW.*) AS pgphase_row";
    return "BEGIN\n"
           "    IF (SELECT " +
           violates(op) + row +
           ") THEN\n"
           "        SELECT " +
           values + " INTO " + targets + row +
           ";\n"
           "    END IF;\n"
           "    RETURN NEW;\n"
           "END\n";
}

std::vector<std::string> shown_columns(const AddCheck& op) {
    std::vector<std::string> shown;
    for (const auto& column : op.check.column_refs) {
        if (std::find(shown.begin(), shown.end(), column) == shown.end()) {
            shown.push_back(column);
        }
    }
    return shown;
}

} // namespace

void plan_add_check(OpContext& context, const AddCheck& op) {
    check_not_replaced_earlier(context, op.table, op.check.column_refs);
    CatalogTable* found = context.find_table(op.table);
    if (found != nullptr) {
        for (const auto& column : op.check.column_refs) {
            context.find_column(*found, column, "read by check");
        }
        for (const auto& [column, value] : op.up) {
            context.find_column(*found, column, "set by up");
            for (const auto& input : value.column_refs) {
                context.find_column(*found, input, "read by up");
            }
        }
        refuse_taken_constraint_name(context, *found, op.name);
        if (!op.up.empty() && found->primary_key.empty()) {
            context.diagnostics.error(
                context.change.mark, "table \"" + op.table + "\" has no primary key",
                "\"up\" runs as a backfill, which walks the primary key; tables without one are "
                "not supported yet: fix the rows yourself and leave \"up\" out");
        }
        CatalogConstraint added;
        added.name = op.name;
        added.type = 'c';
        added.validated = true; // by the end of backfill
        added.columns = shown_columns(op);
        added.definition = "CHECK (" + op.check.sql + ")";
        found->constraints.push_back(added);
    }

    const QualifiedName table = context.table_name(op.table);
    const SyncTrigger fix = sync_trigger_names(context);
    Step& expand = context.add_step(Phase::expand, op.table,
                                    "add check " + op.name + " on " + op.table + " not valid" +
                                        (op.up.empty() ? "" : ", fixing violating writes by up"));
    expand.lock = LockLevel::access_exclusive;
    expand.sql.push_back("ALTER TABLE " + table.sql() + " ADD CONSTRAINT " + quote_ident(op.name) +
                         " CHECK (" + op.check.sql + ") NOT VALID");
    if (!op.up.empty()) {
        for (auto& statement : create_sync_trigger(context, fix, table, fix_body(op))) {
            expand.sql.push_back(std::move(statement));
        }
        expand.undo = drop_sync_trigger(fix, table);
    }
    expand.undo.push_back("ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " +
                          quote_ident(op.name));

    if (!op.up.empty()) {
        Step& backfill = context.add_step(Phase::backfill, op.table,
                                          "fix rows of " + op.table + " that violate " + op.name);
        backfill.kind = StepKind::backfill;
        backfill.lock = LockLevel::row_exclusive;
        BackfillTask task;
        task.table = table;
        // Conditional, though only pending rows are updated: `verify` compares every row with
        // these expressions, and rows the check accepts are meant to keep their values.
        for (const auto& [column, value] : op.up) {
            task.set.push_back({column, "CASE WHEN " + violates(op) + " THEN (" + value.sql +
                                            ") ELSE " + quote_ident(column) + " END"});
        }
        task.pending_predicate = violates(op);
        backfill.backfill = std::move(task);
    }

    add_validate_constraint(context, op.table, op.name, violates(op), shown_columns(op), found);

    if (!op.up.empty()) {
        Step& contract = context.add_step(Phase::contract, op.table,
                                          "drop the trigger that fixed writes for " + op.name);
        contract.lock = LockLevel::access_exclusive;
        contract.sql = drop_sync_trigger(fix, table);
    }
}

} // namespace pgphase::planners
