// Plans RENAME COLUMN. By default in the catalog only: nothing runs at expand, the version
// schema's view shows the column under its new name (`"email" AS "email_address"`, still
// automatically updatable), and contract runs ALTER TABLE ... RENAME COLUMN, a brief ACCESS
// EXCLUSIVE that moves no data; indexes, constraints, defaults and views follow the column,
// since they refer to it by number, and their names that embed the column's are renamed too.
// Pure.
//
// The copy path (method: copy, or where the plan needs it: see copy_reason) is a shadow column
// + two-way sync trigger, backfill, swap at contract. Expand creates the new column, its NOT
// NULL stand-in and the trigger in ONE transaction: there is no moment in which an old
// client's write fails or escapes the sync. Which side a write came from is decided from what
// it changed (never from search_path):
//   INSERT: a non-NULL new column was written by a new client; otherwise the old one wins.
//   UPDATE: the column the write changed wins; changing both to different values is an error.
// The old column's DEFAULT reaches new-version inserts through the trigger during expand and is
// set on the new column at contract (copying it at expand would make INSERT ambiguous).
// Indexes and constraints on the old column are built again on the new one before contract
// (carry_over): indexes CONCURRENTLY after the backfill, CHECK and foreign keys NOT VALID then
// VALIDATE; contract only renames them back to their names.
#include "planners/ops/rename_column.hpp"

#include "planners/load/fields.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/carry_over.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/table_constraints.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>
#include <string_view>
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

// Whether `text`, a change's canonical text (names quoted, expressions deparsed), names
// `name`: quoted, or bare where the deparser leaves a name unquoted. A string literal that
// spells the name counts too, which only ever sends a rename down the copy path.
bool mentions(const std::string& text, const std::string& name) {
    if (text.find(quote_ident(name)) != std::string::npos) {
        return true;
    }
    const auto word_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
    };
    for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
        const std::size_t end = at + name.size();
        if ((at == 0 || !word_char(text[at - 1])) &&
            (end == text.size() || !word_char(text[end]))) {
            return true;
        }
    }
    return false;
}

std::string change_label(const Plan& plan, std::size_t index) {
    const Change& change = plan.changes[index];
    return "change " + std::to_string(index + 1) + " (" + operation_name(change.operation) +
           ") at " + change.mark.file + ":" + std::to_string(change.mark.line);
}

} // namespace

// In the catalog, the base table knows only the old name until contract, and a trigger or
// statement that names the old one fails from the moment contract renames it.
std::string rename_copy_reason(const Plan& plan, std::size_t index) {
    const auto& op = std::get<RenameColumn>(plan.changes.at(index).operation);
    if (op.copy) {
        return "method: copy";
    }
    const auto& changes = plan.changes;
    for (std::size_t i = 0; i < changes.size(); ++i) {
        if (std::holds_alternative<RawSql>(changes[i].operation)) {
            return change_label(plan, i) +
                   " is raw SQL: such a migration gets no version schema, so nothing could show "
                   "the new name before contract";
        }
    }
    for (std::size_t i = index + 1; i < changes.size(); ++i) {
        const Operation& later = changes[i].operation;
        const std::string text = unit_of(later).canonical(later);
        if (table_of(later) != op.table && !mentions(text, op.table)) {
            continue;
        }
        for (const std::string* name : {&op.to, &op.from}) {
            if (mentions(text, *name)) {
                return change_label(plan, i) + " names \"" + op.table + "\".\"" + *name +
                       "\", which needs both names on the table until contract";
            }
        }
    }
    return {};
}

namespace {

// PostgreSQL and Prisma name an index or constraint after its table and columns:
// <table>_<col>_<col>_<suffix> (users_email_key, User_email_key, Post_authorId_fkey). Such a
// name is renamed with the column; one that is not built exactly that way is left alone.
std::optional<std::string> derived_rename(const std::string& name, const std::string& table,
                                          std::vector<std::string> columns,
                                          const RenameColumn& op) {
    static constexpr std::array<std::string_view, 4> suffixes{"key", "idx", "fkey", "check"};
    if (std::find(columns.begin(), columns.end(), op.from) == columns.end()) {
        return std::nullopt;
    }
    for (const std::string_view suffix : suffixes) {
        if (name != table + "_" + joined(columns) + "_" + std::string(suffix)) {
            continue;
        }
        std::replace(columns.begin(), columns.end(), op.from, op.to);
        return table + "_" + joined(columns) + "_" + std::string(suffix);
    }
    return std::nullopt;
}

// Contract statements that rename the index and constraint names embedding the column's (a
// constraint through RENAME CONSTRAINT, which renames its index too). A name that another
// change of the plan names, or whose new name is taken or too long, keeps its name, with a
// note saying so.
std::vector<std::string> rename_derived_names(OpContext& context, const CatalogTable& table,
                                              const RenameColumn& op) {
    const QualifiedName qualified = context.table_name(op.table);
    std::set<std::string> taken;
    for (const auto& constraint : table.constraints) {
        taken.insert(constraint.name);
    }
    for (const auto& relation : context.catalog->relations) {
        if (relation.schema == table.schema) {
            taken.insert(relation.name);
        }
    }
    std::vector<std::string> out;
    const auto rename = [&](const std::string& name, const std::vector<std::string>& columns,
                            bool constraint) {
        const auto renamed = derived_rename(name, table.name, columns, op);
        if (!renamed) {
            return;
        }
        std::string kept;
        for (std::size_t i = 0; i < context.plan.changes.size() && kept.empty(); ++i) {
            const Operation& other = context.plan.changes[i].operation;
            if (static_cast<int>(i) != context.change_index &&
                mentions(unit_of(other).canonical(other), name)) {
                kept = change_label(context.plan, i) + " names it";
            }
        }
        if (kept.empty() && taken.count(*renamed) != 0) {
            kept = "\"" + *renamed + "\" is taken";
        }
        if (kept.empty()) {
            if (const auto problem = identifier_problem(*renamed)) {
                kept = "\"" + *renamed + "\": " + *problem;
            }
        }
        if (!kept.empty()) {
            context.diagnostics.note(context.change.mark,
                                     "\"" + name + "\" keeps its name at contract: " + kept,
                                     "rename it in a later migration (rename_constraint, or "
                                     "ALTER INDEX ... RENAME TO)");
            return;
        }
        taken.insert(*renamed);
        out.push_back(constraint ? "ALTER TABLE " + qualified.sql() + " RENAME CONSTRAINT " +
                                       quote_ident(name) + " TO " + quote_ident(*renamed)
                                 : "ALTER INDEX " + QualifiedName{table.schema, name}.sql() +
                                       " RENAME TO " + quote_ident(*renamed));
    };
    std::set<std::string> constraint_indexes;
    for (const auto& constraint : table.constraints) {
        if (constraint.incoming) {
            continue; // another table's foreign key, named after that table's columns
        }
        rename(constraint.name, constraint.columns, true);
        if (constraint.type == 'u' || constraint.type == 'p' || constraint.type == 'x') {
            constraint_indexes.insert(constraint.name);
        }
    }
    for (const auto& index : table.indexes) {
        if (constraint_indexes.count(index.name) == 0 && !index.expressions && !index.partial) {
            rename(index.name, index.key_columns, false);
        }
    }
    return out;
}

// The column renamed, or nullptr after reporting it unknown; reports a new name that is taken.
const CatalogColumn* renamed_column(OpContext& context, const CatalogTable& table,
                                    const RenameColumn& op) {
    const CatalogColumn* from = context.find_column(table, op.from, "from");
    if (table.column(op.to) != nullptr) {
        context.diagnostics.error(context.change.mark,
                                  "column \"" + op.table + "\".\"" + op.to + "\" already exists");
    }
    return from;
}

// The catalog-only rename: the version view shows the new name from expand; contract renames.
void plan_in_catalog(OpContext& context, const RenameColumn& op) {
    CatalogTable* found = context.find_table(op.table);
    if (found != nullptr) {
        if (renamed_column(context, *found, op) == nullptr) {
            return;
        }
        found->new_version.exposed[op.from] = op.to;
    }
    const QualifiedName table = context.table_name(op.table);
    Step& contract = context.add_step(Phase::contract, op.table,
                                      "rename column " + op.table + "." + op.from + " to " + op.to +
                                          " (catalog only: no data moves)");
    contract.lock = LockLevel::access_exclusive;
    contract.sql.push_back("ALTER TABLE " + table.sql() + " RENAME COLUMN " + quote_ident(op.from) +
                           " TO " + quote_ident(op.to));
    if (!op.rename_indexes) {
        return;
    }
    if (found == nullptr) {
        context.unchecked.push_back("index and constraint names of \"" + op.table +
                                    "\" that embed \"" + op.from +
                                    "\" (renamed with it; read from the database at start)");
        return;
    }
    for (auto& statement : rename_derived_names(context, *found, op)) {
        contract.sql.push_back(std::move(statement));
    }
}

// The copy path: shadow column, sync trigger, backfill, swap (see the file comment).
void plan_copy(OpContext& context, const RenameColumn& op) {
    const QualifiedName table = context.table_name(op.table);
    std::string type = "<type of " + quote_ident(op.table) + "." + quote_ident(op.from) + ">";
    bool not_null = false;
    std::optional<std::string> default_expression;

    CatalogTable* found = context.find_table(op.table);
    if (found != nullptr) {
        if (const CatalogColumn* from = renamed_column(context, *found, op)) {
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

    Step& contract =
        context.add_step(Phase::contract, op.table,
                         "drop " + op.table + "." + op.from + " and its sync trigger; " + op.to +
                             " takes its place" + kept_note(context));
    contract.lock = LockLevel::access_exclusive;
    contract.sql = drop_sync_trigger(sync, table);
    contract.sql.push_back(drop_or_keep_column(context, table, op.from));
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

} // namespace

void plan_rename_column(OpContext& context, const RenameColumn& op) {
    if (!check_not_changed_earlier(context, op.table, op.from)) {
        return;
    }
    const std::string reason =
        rename_copy_reason(context.plan, static_cast<std::size_t>(context.change_index));
    if (reason.empty()) {
        plan_in_catalog(context, op);
        return;
    }
    if (!op.copy) {
        context.diagnostics.note(context.change.mark,
                                 "\"" + op.table + "\".\"" + op.from +
                                     "\" is renamed through a copy of the column: " + reason,
                                 "a rename on its own is catalog-only (no backfill); move the "
                                 "other change to a later migration to get that");
    }
    plan_copy(context, op);
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_rename_column(Loader& loader, const YAML::Node& node) {
    return load_rename_in_table<RenameColumn>(
        loader, node, "rename_column", {"method", "rename_indexes"},
        [&loader](MapReader& reader, RenameColumn& op) {
            const auto method = reader.string("method", false);
            if (method && *method != "auto" && *method != "copy") {
                loader.error(reader.get("method"),
                             R"("method" in rename_column must be auto or copy, not ")" + *method +
                                 "\"",
                             "auto renames in the catalog at contract where it can; copy builds "
                             "a shadow column kept in sync and backfills it");
                return false;
            }
            op.copy = method == "copy";
            const auto rename_indexes = reader.boolean("rename_indexes");
            op.rename_indexes = rename_indexes.value_or(true);
            return !reader.get("rename_indexes").IsDefined() || rename_indexes.has_value();
        });
}

// The defaults add nothing, so plans written before method and rename_indexes keep their
// checksum.
std::string canonical_rename_column(const RenameColumn& op) {
    return "rename_column " + quote_ident(op.table) + " " + quote_ident(op.from) + " " +
           quote_ident(op.to) + (op.copy ? " copy" : "") +
           (op.rename_indexes ? "" : " keep_index_names");
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
