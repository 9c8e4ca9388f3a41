// Plans RENAME COLUMN as shadow column + two-way sync trigger, backfill, swap at contract, so
// apps using either name keep working until contract. Pure.
//
// Expand creates the new column, its NOT NULL stand-in and the trigger in ONE transaction:
// there is no moment in which an old client's write fails or escapes the sync. Which side a
// write came from is decided from what it changed (never from search_path):
//   INSERT: a non-NULL new column was written by a new client; otherwise the old one wins.
//   UPDATE: the column the write changed wins; changing both to different values is an error.
// The old column's DEFAULT reaches new-version inserts through the trigger during expand and is
// set on the new column at contract (copying it at expand would make INSERT ambiguous).
// Indexes and constraints on the old column are built again on the new one before contract
// (carry_over): indexes CONCURRENTLY after the backfill, CHECK and foreign keys NOT VALID then
// VALIDATE; contract only renames them back to their names.
#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/carry_over.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// Which name a write used is decided from what it changed; see the file comment.
Quoted sync_body(const std::string& from, const std::string& to) {
    // clang-format off
    return render_sql(R"sql(DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.{new} IS NULL THEN
            NEW.{new} := NEW.{old};
        ELSE
            NEW.{old} := NEW.{new};
        END IF;
        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW.{old}::text IS DISTINCT FROM OLD.{old}::text;
    pgphase_new_changed := NEW.{new}::text IS DISTINCT FROM OLD.{new}::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW.{old} := NEW.{new};
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW.{new} := NEW.{old};
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW.{old}::text IS DISTINCT FROM NEW.{new}::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = {message},
                HINT = {hint};
        END IF;
    ELSE
        NEW.{new} := NEW.{old};
    END IF;
    RETURN NEW;
END
)sql",
        {{"old", ident(from)},
         {"new", ident(to)},
         {"message", literal("pgphase: an UPDATE set both \"" + from + "\" and \"" + to + "\" to different values")},
         {"hint", literal("during the rename, write one of the two names, not both")}});
    // clang-format on
}

} // namespace

void plan_rename_column(OpContext& context, const RenameColumn& op) {
    const QualifiedName table = context.table_name(op.table);
    std::string type = "<type of " + quote_ident(op.table) + "." + quote_ident(op.from) + ">";
    bool not_null = false;
    std::optional<std::string> default_expression;

    CatalogTable* found = context.find_table(op.table);
    if (!check_not_changed_earlier(context, op.table, op.from)) {
        return;
    }
    if (found != nullptr) {
        const CatalogColumn* from = context.find_column(*found, op.from, "from");
        if (found->column(op.to) != nullptr) {
            context.diagnostics.error(context.change.mark, "column \"" + op.table + "\".\"" +
                                                               op.to + "\" already exists");
        }
        if (from != nullptr) {
            if (from->identity || from->generated) {
                context.diagnostics.error(
                    context.change.mark,
                    "column \"" + op.table + "\".\"" + op.from + "\" is an " +
                        (from->identity ? "identity" : "generated") + " column",
                    from->identity
                        ? "its sequence belongs to the column and would be dropped with it at "
                          "contract; if every client can switch names at once, a plain ALTER "
                          "TABLE ... RENAME COLUMN is instant (metadata only)"
                        : "a generated column cannot be written, so it cannot be kept in sync; "
                          "drop it and add it again under the new name (add_column)");
            }
            if (from->default_expression &&
                from->default_expression->find("nextval(") != std::string::npos) {
                context.diagnostics.error(
                    context.change.mark,
                    "column \"" + op.table + "\".\"" + op.from +
                        "\" takes its default from a sequence",
                    "its sequence is owned by the column and would be dropped with it at "
                    "contract; if every client can switch names at once, a plain ALTER TABLE "
                    "... RENAME COLUMN is instant (metadata only)");
            }
            check_carry_over(context, *found, op.from, "rename");
            type = from->type;
            not_null = from->not_null;
            default_expression = from->default_expression;
            CatalogColumn added = *from;
            added.name = op.to;
            added.not_null = false;
            added.default_expression.reset();
            found->columns.push_back(added);
            found->new_version.hidden_columns.push_back(op.from); // shown only by its new name
        }
    } else {
        context.unchecked.push_back("type, DEFAULT and NOT NULL of \"" + op.table + "\".\"" +
                                    op.from + "\" (read from the database at start)");
    }

    const SyncTrigger sync = sync_trigger_names(context);
    const std::string check = not_null_check_name(op.table, op.to);

    Step& expand = context.add_step(Phase::expand, op.table,
                                    "add column " + op.to + " to " + op.table +
                                        " kept in sync with " + op.from + " by a trigger");
    expand.lock = LockLevel::access_exclusive;
    expand.sql.push_back("ALTER TABLE " + table.sql() + " ADD COLUMN " + quote_ident(op.to) + " " +
                         type);
    if (not_null) {
        expand.sql.push_back(add_not_null_check(table, op.to, check));
    }
    for (auto& statement : create_sync_trigger(context, sync, table, sync_body(op.from, op.to))) {
        expand.sql.push_back(std::move(statement));
    }
    expand.undo = drop_sync_trigger(sync, table);
    expand.undo.push_back("ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " +
                          quote_ident(op.to));

    Step& backfill = context.add_step(Phase::backfill, op.table,
                                      "copy " + op.table + "." + op.from + " into " + op.to);
    backfill.kind = StepKind::backfill;
    backfill.lock = LockLevel::row_exclusive;
    backfill.backfill = BackfillTask{table,
                                     {},
                                     {{op.to, quote_ident(op.from)}},
                                     changed(quote_ident(op.to), quote_ident(op.from))};

    if (not_null) {
        add_validate_not_null(context, op.table, op.to, check);
    }
    std::vector<std::string> renames;
    if (found != nullptr && found->column(op.from) != nullptr) {
        renames = carry_over_dependents(context, *found, op.from, op.to);
    }

    Step& contract = context.add_step(Phase::contract, op.table,
                                      "drop " + op.table + "." + op.from +
                                          " and its sync trigger; " + op.to + " takes its place");
    contract.lock = LockLevel::access_exclusive;
    contract.sql = drop_sync_trigger(sync, table);
    contract.sql.push_back("ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " +
                           quote_ident(op.from));
    if (default_expression) {
        contract.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " +
                               quote_ident(op.to) + " SET DEFAULT " + *default_expression);
    }
    if (not_null) {
        for (auto& statement : promote_not_null_check(table, op.to, check)) {
            contract.sql.push_back(std::move(statement));
        }
    }
    for (auto& statement : renames) {
        contract.sql.push_back(std::move(statement));
    }
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_rename_column(Loader& loader, const YAML::Node& node) {
    return load_rename_in_table<RenameColumn>(loader, node, "rename_column");
}

std::string canonical_rename_column(const RenameColumn& op) {
    return "rename_column " + quote_ident(op.table) + " " + quote_ident(op.from) + " " +
           quote_ident(op.to);
}

void claim_rename_column(const RenameColumn& op, NameClaims& claims) {
    claims.claim("column:" + op.table + "." + op.to,
                 "column \"" + op.table + "\".\"" + op.to + "\"");
}

} // namespace

extern constinit const OperationUnit rename_column_unit =
    operation_unit<RenameColumn, load_rename_column, plan_rename_column, canonical_rename_column,
                   claim_rename_column>("rename_column");

} // namespace pgphase::planners
