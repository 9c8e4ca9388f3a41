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
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>

namespace pgphase::planners {

namespace {

std::string sync_body(const std::string& from, const std::string& to) {
    const std::string o = quote_ident(from);
    const std::string n = quote_ident(to);
    return "DECLARE\n"
           "    pgphase_old_changed boolean;\n"
           "    pgphase_new_changed boolean;\n"
           "BEGIN\n"
           "    IF TG_OP = 'INSERT' THEN\n"
           "        IF NEW." +
           n +
           " IS NULL THEN\n"
           "            NEW." +
           n + " := NEW." + o +
           ";\n"
           "        ELSE\n"
           "            NEW." +
           o + " := NEW." + n +
           ";\n"
           "        END IF;\n"
           "        RETURN NEW;\n"
           "    END IF;\n"
           "    pgphase_old_changed := " +
           changed("NEW." + o, "OLD." + o) +
           ";\n"
           "    pgphase_new_changed := " +
           changed("NEW." + n, "OLD." + n) +
           ";\n"
           "    IF pgphase_new_changed AND NOT pgphase_old_changed THEN\n"
           "        NEW." +
           o + " := NEW." + n +
           ";\n"
           "    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN\n"
           "        NEW." +
           n + " := NEW." + o +
           ";\n"
           "    ELSIF pgphase_old_changed AND pgphase_new_changed THEN\n"
           "        IF " +
           changed("NEW." + o, "NEW." + n) +
           " THEN\n"
           "            RAISE EXCEPTION USING ERRCODE = 'check_violation',\n"
           "                MESSAGE = " +
           quote_literal("pgphase: an UPDATE set both \"" + from + "\" and \"" + to +
                         "\" to different values") +
           ",\n"
           "                HINT = " +
           quote_literal("during the rename, write one of the two "
                         "names, not both") +
           ";\n"
           "        END IF;\n"
           "    ELSE\n"
           "        NEW." +
           n + " := NEW." + o +
           ";\n"
           "    END IF;\n"
           "    RETURN NEW;\n"
           "END\n";
}

// Indexes and constraints on the old column vanish with it at contract; recreating them on the
// new column is not implemented yet, so refuse rather than silently lose them.
void refuse_dependents(OpContext& context, const CatalogTable& table, const std::string& column) {
    for (const auto& index : table.indexes) {
        const bool uses =
            std::find(index.columns.begin(), index.columns.end(), column) != index.columns.end();
        if (uses && !index.primary) {
            context.diagnostics.error(
                context.change.mark,
                "column \"" + table.name + "\".\"" + column + "\" is used by index \"" +
                    index.name + "\", which contract would drop",
                "pgphase does not yet recreate indexes of a renamed column; drop the index in an "
                "earlier migration and recreate it on the new column with create_index");
        }
    }
    for (const auto& constraint : table.constraints) {
        const bool has_index = constraint.type == 'p' || constraint.type == 'u';
        if (!has_index && std::find(constraint.columns.begin(), constraint.columns.end(), column) !=
                              constraint.columns.end()) {
            context.diagnostics.error(
                context.change.mark,
                "column \"" + table.name + "\".\"" + column + "\" is used by constraint \"" +
                    constraint.name + "\", which contract would drop",
                "pgphase does not yet carry constraints over to a renamed column");
        }
    }
}

} // namespace

void plan_rename_column(OpContext& context, const RenameColumn& op) {
    const QualifiedName table = context.table_name(op.table);
    std::string type = "<type of " + quote_ident(op.table) + "." + quote_ident(op.from) + ">";
    bool not_null = false;
    std::optional<std::string> default_expression;

    if (CatalogTable* found = context.find_table(op.table)) {
        const CatalogColumn* from = context.find_column(*found, op.from, "from");
        if (found->column(op.to) != nullptr) {
            context.diagnostics.error(context.change.mark, "column \"" + op.table + "\".\"" +
                                                               op.to + "\" already exists");
        }
        if (from != nullptr) {
            if (from->identity || from->generated) {
                context.diagnostics.error(context.change.mark,
                                          "column \"" + op.table + "\".\"" + op.from +
                                              "\" is an identity or generated column",
                                          "renaming such columns is not supported yet");
            }
            if (std::find(found->primary_key.begin(), found->primary_key.end(), op.from) !=
                found->primary_key.end()) {
                context.diagnostics.error(context.change.mark,
                                          "column \"" + op.table + "\".\"" + op.from +
                                              "\" is part of the primary key",
                                          "renaming a primary key column is not supported yet");
            }
            if (from->default_expression &&
                from->default_expression->find("nextval(") != std::string::npos) {
                context.diagnostics.error(
                    context.change.mark,
                    "column \"" + op.table + "\".\"" + op.from +
                        "\" takes its default from a sequence",
                    "its sequence is owned by the column and would be dropped with it at "
                    "contract; renaming serial columns is not supported yet");
            }
            refuse_dependents(context, *found, op.from);
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
}

} // namespace pgphase::planners
