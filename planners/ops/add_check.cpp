// Plans ADD CONSTRAINT ... CHECK as NOT VALID at expand (metadata only: new writes are checked
// from then on, existing rows are not scanned) and VALIDATE in the backfill phase (a scan under
// SHARE UPDATE EXCLUSIVE, which reads and writes do not wait for). Pure.
//
// With `up`, violating rows are fixed rather than refused: a trigger applies `up` to every write
// that would break the check during expand (so an old app version that does not know the rule
// keeps working), and a backfill applies it to existing rows where the check is false, before
// VALIDATE. Without `up`, existing violators make VALIDATE fail with a count and examples.
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/constraint_blocks.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// True for a row (NEW, or the table's row in a WHERE) that the check rejects. A NULL result
// passes a CHECK, so only FALSE counts.
std::string violates(const AddCheck& op) {
    return "(" + op.check.sql + ") IS FALSE";
}

Quoted fix_body(const AddCheck& op) {
    std::string values;
    std::string targets;
    for (const auto& [column, value] : op.up) {
        values += values.empty() ? "" : ", ";
        values += "(" + value.sql + ")";
        targets += targets.empty() ? "" : ", ";
        targets += "NEW." + quote_ident(column);
    }
    // clang-format off
    return render_sql(R"sql(BEGIN
    IF (SELECT {violates} FROM (SELECT NEW.*) AS pgphase_row) THEN
        SELECT {values} INTO {targets} FROM (SELECT NEW.*) AS pgphase_row;
    END IF;
    RETURN NEW;
END
)sql",
        {{"violates", Quoted::assembled(violates(op))},
         {"values", Quoted::assembled(values)},
         {"targets", Quoted::assembled(targets)}});
    // clang-format on
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

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_add_check(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "add_check", {"table", "name", "check", "up"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto name = reader.identifier("name", true);
    auto check = reader.expression("check", true);
    std::vector<std::pair<std::string, Expression>> up;
    bool up_ok = true;
    if (YAML::Node up_node = reader.get("up"); up_node.IsDefined()) {
        if (up_node.IsScalar()) {
            // One expression: the value of the one column the check reads.
            auto value = reader.expression("up", false);
            up_ok = value.has_value();
            if (value && check) {
                if (check->column_refs.size() != 1) {
                    loader.error(up_node,
                                 "\"up\" must name the column it sets: the check reads " +
                                     std::to_string(check->column_refs.size()) + " columns",
                                 "write up as a mapping, e.g. up: {price: \"abs(price)\"}");
                    up_ok = false;
                } else {
                    up.emplace_back(check->column_refs.front(), *value);
                }
            }
        } else if (up_node.IsMap() && up_node.size() > 0) {
            std::vector<std::string> names;
            for (const auto& item : up_node) {
                names.push_back(item.first.Scalar());
            }
            MapReader columns(loader, up_node, "up", names);
            for (const auto& column : names) {
                if (auto problem = identifier_problem(column)) {
                    loader.error(up_node, "bad column name in \"up\": " + *problem);
                    up_ok = false;
                } else if (auto value = columns.expression(column, true)) {
                    up.emplace_back(column, *value);
                } else {
                    up_ok = false;
                }
            }
            columns.finish();
        } else {
            loader.error(up_node,
                         "\"up\" must be an expression or a mapping of column to "
                         "expression",
                         "write e.g. up: \"greatest(price, 0)\"");
            up_ok = false;
        }
    }
    reader.finish();
    if (!table || !name || !check || !up_ok) {
        return std::nullopt;
    }
    AddCheck op;
    op.table = *table;
    op.name = *name;
    op.check = *check;
    op.up = std::move(up);
    return op;
}

std::string canonical_add_check(const AddCheck& op) {
    std::string out = "add_check " + quote_ident(op.table) + " " + quote_ident(op.name) + " " +
                      quote_literal(op.check.sql) + " up=";
    for (const auto& [column, value] : op.up) {
        out += " " + quote_ident(column) + "=" + quote_literal(value.sql);
    }
    return out;
}

} // namespace

extern constinit const OperationUnit add_check_unit =
    operation_unit<AddCheck, load_add_check, plan_add_check, canonical_add_check>("add_check");

} // namespace pgphase::planners
