// Plans a column type change. Pure. Two shapes:
//  - binary compatible (varchar(n) -> text, varchar(n) -> varchar(m >= n), numeric(p,s) ->
//    numeric(q >= p,s), the same type): one ALTER COLUMN TYPE, which PostgreSQL does in the
//    catalog only. No copy of the table.
//  - anything else: a shadow column of the new type, kept in step with the old one by a
//    two-way trigger (old writes -> `up` into the shadow, new writes -> `down` into the old
//    column; the side is decided from what the write changed, never from search_path),
//    a backfill of `up`, indexes and constraints rebuilt on the shadow, and at contract the
//    old column dropped and the shadow renamed into place (metadata only).
// `up` runs inside a function that names the row's key when it cannot convert a value, so a
// failed backfill batch (rolled back whole) says which row to fix.
#include "planners/lint/sql_tree.hpp"
#include "planners/lint/type_change.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/ops/carry_over.hpp"
#include "planners/ops/earlier_changes.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/ops/restore_blocks.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <algorithm>
#include <pg_query.h>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

std::optional<lint::ColumnType> parse_column_type(const std::string& type) {
    std::optional<lint::ColumnType> out;
    const std::string sql = "SELECT NULL::" + type;
    PgQueryParseResult result = pg_query_parse(sql.c_str());
    if (result.error == nullptr) {
        const auto tree = nlohmann::json::parse(result.parse_tree);
        const auto& value = tree.at("stmts")[0]
                                .at("stmt")
                                .at("SelectStmt")
                                .at("targetList")[0]
                                .at("ResTarget")
                                .at("val");
        if (value.contains("TypeCast")) {
            out = lint::column_type(value.at("TypeCast").value("typeName", nlohmann::json{}));
        }
    }
    pg_query_free_parse_result(result);
    return out;
}

// An `up` that is only the column, possibly cast to the new type: nothing to compute.
bool plain_up(const ChangeType& op) {
    if (!op.up) {
        return true;
    }
    for (const std::string& column : {op.column, quote_ident(op.column)}) {
        if (op.up->sql == column || op.up->sql == column + "::" + op.type.sql) {
            return true;
        }
    }
    return false;
}

// Why ALTER COLUMN TYPE would still scan or rebuild something under ACCESS EXCLUSIVE although
// the types are binary compatible, or "" when it only updates the catalog. Measured on
// PostgreSQL 15: CHECK constraints on the column are validated again (a scan), and indexes
// whose expression or predicate reads it are rebuilt; plain key indexes are kept.
std::string in_place_obstacle(const CatalogTable& table, const std::string& column) {
    for (const auto& constraint : table.constraints) {
        const bool uses = std::find(constraint.columns.begin(), constraint.columns.end(), column) !=
                          constraint.columns.end();
        if (uses && constraint.type != 'u' && constraint.type != 'p') {
            return "constraint \"" + constraint.name + "\" would be checked again";
        }
    }
    for (const auto& index : table.indexes) {
        if (std::find(index.columns.begin(), index.columns.end(), column) == index.columns.end()) {
            continue;
        }
        const auto using_at = index.definition.find(" USING ");
        const std::string rest =
            using_at == std::string::npos ? index.definition : index.definition.substr(using_at);
        if (std::count(rest.begin(), rest.end(), '(') > 1 ||
            rest.find(" WHERE ") != std::string::npos) {
            return "index \"" + index.name + "\" would be rebuilt";
        }
    }
    return {};
}

struct Names {
    QualifiedName table;
    std::string column; // quoted
    std::string shadow; // quoted
    SyncTrigger sync;
    QualifiedName up_function;
};

// `expression` evaluated over `row` (NEW, or a function parameter), with `column` read from
// `source` (the shadow, for `down`). Only the columns it reads are listed, so no catalog is
// needed.
std::string evaluate(const std::string& expression, const std::vector<std::string>& refs,
                     const std::string& row, const std::string& column, const std::string& source) {
    std::string inputs;
    for (const auto& ref : refs) {
        inputs += inputs.empty() ? "" : ", ";
        inputs += row + "." + quote_ident(ref == column ? source : ref) + " AS " + quote_ident(ref);
    }
    if (inputs.empty()) {
        return "(" + expression + ")";
    }
    return "(SELECT (" + expression + ") FROM (SELECT " + inputs + ") AS pgphase_input)";
}

std::string up_function_sql(const OpContext& context, const ChangeType& op, const Names& names,
                            const std::string& up, const std::vector<std::string>& refs,
                            const std::vector<std::string>& key) {
    std::string key_label;
    std::string key_value;
    for (const auto& column : key) {
        key_label += key_label.empty() ? "" : ", ";
        key_label += column;
        key_value += key_value.empty() ? "" : " || ', ' || ";
        key_value += "coalesce(pgphase_row." + quote_ident(column) + "::text, 'NULL')";
    }
    const std::string row_text = key.empty() ? quote_literal("a row") + " || ''"
                                             : quote_literal("the row (" + key_label + ")=(") +
                                                   " || " + key_value + " || ')'";
    // clang-format off
    const Quoted body = render_sql(R"sql(
BEGIN
    RETURN {up};
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = SQLSTATE,
        MESSAGE = {message} || {row} || ': ' || SQLERRM,
        HINT = {hint};
END
)sql",
        {{"up", Quoted::assembled(evaluate(up, refs, "pgphase_row", op.column, op.column))},
         {"message", literal("pgphase: up cannot convert \"" + op.table + "\".\"" + op.column + "\" to " + op.type.sql + " for ")},
         {"row", Quoted::assembled(row_text)},
         {"hint", literal("fix the value in that row, or roll the migration back and correct the change's up expression")}});
    return render_sql(R"sql(CREATE OR REPLACE FUNCTION {function}(pgphase_row {table}) RETURNS {type} LANGUAGE plpgsql SET search_path = {schema} AS {body})sql",
        {{"function", qualified(names.up_function)},
         {"table", qualified(names.table)},
         {"type", type_sql(op.type)},
         {"schema", ident(context.plan.schema)},
         {"body", dollar_quoted(body)}}).str();
    // clang-format on
}

Quoted sync_body(const ChangeType& op, const Names& names, const std::string& down,
                 const std::vector<std::string>& down_refs, const std::vector<std::string>& up_refs,
                 const std::string& shadow_name) {
    // Undo's restore: a write leaves both sides right, so its row is no longer stale.
    const Quoted unmark =
        op.restore && !op.restore->marker.empty()
            ? render_sql("        NEW.{marker} := NULL;\n", {{"marker", ident(op.restore->marker)}})
            : Quoted();
    std::string inputs_changed;
    for (const auto& ref : up_refs) {
        if (ref != op.column) {
            inputs_changed += inputs_changed.empty() ? "" : " OR ";
            inputs_changed += changed("NEW." + quote_ident(ref), "OLD." + quote_ident(ref));
        }
    }
    if (op.restore && !op.restore->marker.empty()) {
        // A row written since contract holds a stale kept value: any write converts it.
        inputs_changed += inputs_changed.empty() ? "" : " OR ";
        inputs_changed += "OLD." + quote_ident(op.restore->marker) + " IS TRUE";
    }
    // The last ELSIF is for a write that changed neither side: it fills a row the backfill has
    // not reached (its NOT NULL check must hold for the new row version), and follows `up`'s
    // other inputs when they changed.
    // clang-format off
    return render_sql(R"sql(DECLARE
    pgphase_old_changed boolean;
    pgphase_new_changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.{shadow} IS NULL THEN
            NEW.{shadow} := {up_function}(NEW);
        ELSE
            NEW.{column} := {down};
        END IF;
{unmark}        RETURN NEW;
    END IF;
    pgphase_old_changed := NEW.{column}::text IS DISTINCT FROM OLD.{column}::text;
    pgphase_new_changed := NEW.{shadow}::text IS DISTINCT FROM OLD.{shadow}::text;
    IF pgphase_new_changed AND NOT pgphase_old_changed THEN
        NEW.{column} := {down};
    ELSIF pgphase_old_changed AND NOT pgphase_new_changed THEN
        NEW.{shadow} := {up_function}(NEW);
    ELSIF pgphase_old_changed AND pgphase_new_changed THEN
        IF NEW.{shadow}::text IS DISTINCT FROM {up_function}(NEW)::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = {message},
                HINT = {hint};
        END IF;
    ELSIF NEW.{shadow} IS NULL{or_an_input_changed} THEN
        NEW.{shadow} := {up_function}(NEW);
    END IF;
{unmark_last}    RETURN NEW;
END
)sql",
        {{"column", ident(op.column)},
         {"shadow", ident(shadow_name)},
         {"up_function", qualified(names.up_function)},
         {"down", Quoted::assembled(evaluate(down, down_refs, "NEW", op.column, shadow_name))},
         {"message", literal("pgphase: an UPDATE set \"" + op.table + "\".\"" + op.column + "\" in both its old and its new type to different values")},
         {"hint", literal("while the type changes, write the column in one of the two types, not both")},
         {"or_an_input_changed", Quoted::assembled(inputs_changed.empty() ? "" : " OR " + inputs_changed)},
         {"unmark", unmark},
         {"unmark_last", Quoted::assembled(unmark.str().empty() ? "" : unmark.str().substr(4))}});
    // clang-format on
}

void plan_in_place(OpContext& context, const ChangeType& op, CatalogColumn* column,
                   const std::string& reason) {
    const QualifiedName table = context.table_name(op.table);
    Step& step =
        context.add_step(Phase::expand, op.table,
                         "change type of " + op.table + "." + op.column + " to " + op.type.sql +
                             " in place: metadata only, no copy of the "
                             "table (" +
                             reason + ")");
    step.lock = LockLevel::access_exclusive;
    step.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " + quote_ident(op.column) +
                       " TYPE " + op.type.sql);
    // No undo: the wider type keeps the old app version working, and narrowing it back would
    // check every row under ACCESS EXCLUSIVE and could fail on values written meanwhile.
    column->type = op.type.sql;
}

} // namespace

void plan_change_type(OpContext& context, const ChangeType& op) {
    CatalogTable* found = context.find_table(op.table);
    if (!check_not_changed_earlier(context, op.table, op.column)) {
        return;
    }
    const std::string shadow_name = derived_name({"_pgphase_new", op.column});
    std::optional<std::string> old_type;
    std::optional<std::string> old_default;
    bool not_null = false;
    std::vector<std::string> key;
    if (found != nullptr) {
        if (context.find_column(*found, op.column, "column") == nullptr) {
            return;
        }
        CatalogColumn* column = &*std::find_if(
            found->columns.begin(), found->columns.end(),
            [&](const CatalogColumn& candidate) { return candidate.name == op.column; });
        const std::string label = "\"" + op.table + "\".\"" + op.column + "\"";
        if (column->identity || column->generated) {
            context.diagnostics.error(
                context.change.mark,
                "cannot change the type of " + label + ": it is an " +
                    (column->identity ? "identity" : "generated") + " column",
                column->identity ? "for int -> bigint on an identity key, add a new bigint "
                                   "column with its own sequence and switch over in steps"
                                 : "drop the generated column and add it again with the new "
                                   "type (add_column)");
            return;
        }
        if (column->default_expression &&
            column->default_expression->find("nextval(") != std::string::npos) {
            context.diagnostics.error(
                context.change.mark,
                "cannot change the type of " + label + ": it takes its default from a sequence",
                "the sequence is owned by the column and would be dropped with it at contract; "
                "serial columns are not supported yet");
            return;
        }
        const auto from = parse_column_type(column->type);
        const auto to = parse_column_type(op.type.sql);
        if (from && to && plain_up(op) && !op.down && !op.restore) {
            const auto verdict = lint::classify_type_change(*from, *to, true);
            const std::string obstacle = in_place_obstacle(*found, op.column);
            if (!verdict.rewrites && obstacle.empty()) {
                plan_in_place(context, op, column, verdict.reason);
                return;
            }
            if (!verdict.rewrites) {
                context.diagnostics.note(
                    context.change.mark,
                    verdict.reason + ", but in place " + obstacle +
                        " under ACCESS EXCLUSIVE; going through a shadow column instead",
                    "drop that object in an earlier migration for an in-place change");
            }
        }
        bool ok = check_carry_over(context, *found, op.column, "change the type of");
        if (found->primary_key.empty()) {
            context.diagnostics.error(
                context.change.mark, "table \"" + op.table + "\" has no primary key",
                "the backfill walks the primary key; tables without one are not supported yet");
            ok = false;
        }
        if (found->column(shadow_name) != nullptr) {
            context.diagnostics.error(context.change.mark,
                                      "column \"" + op.table + "\".\"" + shadow_name +
                                          "\" already exists",
                                      "a leftover of an earlier attempt? drop it first");
            ok = false;
        }
        for (const auto* expression : {op.up ? &*op.up : nullptr, op.down ? &*op.down : nullptr}) {
            if (expression != nullptr) {
                for (const auto& ref : expression->column_refs) {
                    ok = context.find_column(*found, ref,
                                             expression == &*op.up ? "read by up"
                                                                   : "read by down") != nullptr &&
                         ok;
                }
            }
        }
        if (op.restore && found->column(op.restore->name) == nullptr) {
            context.diagnostics.error(context.change.mark,
                                      "the kept column \"" + op.table + "\".\"" + op.restore->name +
                                          "\" does not exist",
                                      "it was purged (pgphase purge), or dropped by hand");
            ok = false;
        }
        if (!ok) {
            return;
        }
        old_type = column->type;
        old_default = column->default_expression;
        not_null = column->not_null;
        key = found->primary_key;
    } else {
        context.unchecked.push_back("type, DEFAULT, NOT NULL, indexes and constraints of \"" +
                                    op.table + "\".\"" + op.column +
                                    "\" (read from the database at start; a binary-compatible "
                                    "change is then done in place)");
    }

    const QualifiedName table = context.table_name(op.table);
    const std::string change_number = padded_change_number(context);
    Names names{table,
                quote_ident(op.column),
                quote_ident(shadow_name),
                sync_trigger_names(context),
                {context.options.state_schema,
                 derived_name({"pgphase", context.plan.name, change_number, "up"})}};
    const std::string up = op.up ? op.up->sql : quote_ident(op.column) + "::" + op.type.sql;
    const std::vector<std::string> up_refs =
        op.up ? op.up->column_refs : std::vector<std::string>{op.column};
    const std::string down = op.down ? op.down->sql
                                     : quote_ident(op.column) + "::" +
                                           old_type.value_or("<type of " + quote_ident(op.table) +
                                                             "." + quote_ident(op.column) + ">");
    const std::vector<std::string> down_refs =
        op.down ? op.down->column_refs : std::vector<std::string>{op.column};
    const std::string check = not_null_check_name(op.table, shadow_name);

    Step& expand =
        context.add_step(Phase::expand, op.table,
                         "add column " + shadow_name + " " + op.type.sql + " to " + op.table +
                             ", kept in sync with " + op.column + " by a trigger (up/down)");
    expand.lock = LockLevel::access_exclusive;
    if (op.restore) {
        // Undo: the shadow is the kept old column, every value it had at contract in place.
        expand.summary = "bring back " + op.table + "." + op.column + " (" + op.type.sql +
                         ") from its tombstone " + op.restore->name + " as " + shadow_name +
                         ", kept in sync with " + op.column + " by a trigger (up/down)";
        expand.sql.push_back("ALTER TABLE " + table.sql() + " RENAME COLUMN " +
                             quote_ident(op.restore->name) + " TO " + names.shadow);
        if (!op.restore->marker.empty()) {
            expand.sql.push_back(stop_marking(table, op.restore->marker));
        }
    } else {
        expand.sql.push_back("ALTER TABLE " + table.sql() + " ADD COLUMN " + names.shadow + " " +
                             op.type.sql);
    }
    if (not_null) {
        expand.sql.push_back(add_not_null_check(table, shadow_name, check));
    }
    expand.sql.push_back(up_function_sql(context, op, names, up, up_refs, key));
    for (auto& statement :
         create_sync_trigger(context, names.sync, table,
                             sync_body(op, names, down, down_refs, up_refs, shadow_name))) {
        expand.sql.push_back(std::move(statement));
    }
    const std::string drop_up =
        "DROP FUNCTION IF EXISTS " + names.up_function.sql() + "(" + table.sql() + ")";
    expand.undo = drop_sync_trigger(names.sync, table);
    expand.undo.push_back(drop_up);
    if (op.restore) {
        if (not_null) {
            expand.undo.push_back("ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " +
                                  quote_ident(check));
        }
        if (!op.restore->marker.empty()) {
            for (auto& statement : resume_marking(context, table, op.restore->marker)) {
                expand.undo.push_back(std::move(statement));
            }
        }
        expand.undo.push_back("ALTER TABLE " + table.sql() + " RENAME COLUMN " + names.shadow +
                              " TO " + quote_ident(op.restore->name));
    } else {
        expand.undo.push_back("ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " +
                              names.shadow);
    }

    // The whole row, by the table's name: the backfill's UPDATE and count name the table
    // unaliased.
    const std::string converted = names.up_function.sql() + "(" + quote_ident(op.table) + ")";
    if (!op.restore) {
        Step& backfill = context.add_step(Phase::backfill, op.table,
                                          "convert " + op.table + "." + op.column + " into " +
                                              shadow_name + " (" + op.type.sql + ")");
        backfill.kind = StepKind::backfill;
        backfill.lock = LockLevel::row_exclusive;
        backfill.backfill =
            BackfillTask{table,
                         {},
                         {{shadow_name, converted}},
                         names.shadow + " IS NULL AND " + converted + " IS NOT NULL"};
    } else if (!op.restore->marker.empty()) {
        // Only the rows written since contract: the others hold their old value.
        const std::string& marker = op.restore->marker;
        Step& backfill =
            context.add_step(Phase::backfill, op.table,
                             "convert " + op.table + "." + op.column + " into " + shadow_name +
                                 " (" + op.type.sql + ") in the rows written since contract");
        backfill.kind = StepKind::backfill;
        backfill.lock = LockLevel::row_exclusive;
        backfill.backfill = BackfillTask{table,
                                         {},
                                         {{shadow_name, converted}, {marker, "NULL"}},
                                         quote_ident(marker) + " IS TRUE"};
    }
    if (not_null) {
        add_validate_not_null(context, op.table, shadow_name, check);
    }
    std::vector<std::string> renames;
    if (found != nullptr) {
        renames = carry_over_dependents(context, *found, op.column, shadow_name);
        if (op.restore) {
            for (auto& column : found->columns) {
                if (column.name == op.restore->name) {
                    column.name = shadow_name;
                }
            }
        } else {
            found->columns.push_back({shadow_name, op.type.sql, false, std::nullopt});
        }
        found->new_version.hidden_columns.push_back(op.column);
        found->new_version.exposed[shadow_name] = op.column;
    }

    Step& contract = context.add_step(Phase::contract, op.table,
                                      "drop " + op.table + "." + op.column +
                                          " and its sync "
                                          "trigger; " +
                                          shadow_name + " takes its name" + kept_note(context));
    contract.lock = LockLevel::access_exclusive;
    contract.sql = drop_sync_trigger(names.sync, table);
    contract.sql.push_back(drop_up);
    contract.sql.push_back(drop_or_keep_column(context, table, op.column));
    contract.sql.push_back("ALTER TABLE " + table.sql() + " RENAME COLUMN " + names.shadow +
                           " TO " + names.column);
    const RelaxedObject* kept_default = nullptr;
    if (op.restore) {
        for (const auto& object : op.restore->relaxed) {
            kept_default = object.kind == "default" ? &object : kept_default;
        }
    }
    if (kept_default != nullptr) {
        // Undo: the default the old column had, as kept_column() recorded it.
        contract.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " + names.column +
                               " SET DEFAULT " + kept_default->definition);
    } else if (old_default && !op.restore) {
        // The old default converted like every value: through `up` when it reads only this
        // column, else by a cast.
        const bool only_column = up_refs.size() == 1 && up_refs[0] == op.column;
        const std::string value =
            only_column ? substitute_column_refs(up, op.column, "(" + *old_default + ")")
                        : "(" + *old_default + ")::" + op.type.sql;
        contract.sql.push_back("ALTER TABLE " + table.sql() + " ALTER COLUMN " + names.column +
                               " SET DEFAULT " + value);
    }
    if (not_null) {
        for (auto& statement : promote_not_null_check(table, op.column, check)) {
            contract.sql.push_back(std::move(statement));
        }
    }
    for (auto& statement : renames) {
        contract.sql.push_back(std::move(statement));
    }
    if (op.restore) {
        if (!op.restore->marker.empty()) {
            for (auto& statement : drop_marker(context, table, op.restore->marker)) {
                contract.sql.push_back(std::move(statement));
            }
        }
        contract.sql.push_back(mark_restored(context, "column", table, op.restore->name));
    }
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

std::optional<Operation> load_change_type(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "change_type",
                     {"table", "column", "type", "up", "down", "restore"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto table = reader.identifier("table", true);
    auto column = reader.identifier("column", true);
    auto type = reader.type_name("type", true);
    auto up = reader.expression("up", false);
    auto down = reader.expression("down", false);
    std::optional<Tombstone> restore;
    bool restore_ok = true;
    if (YAML::Node kept = reader.get("restore"); kept.IsDefined()) {
        restore = load_tombstone(loader, kept, "restore", false);
        restore_ok = restore.has_value();
    }
    reader.finish();
    if (!table || !column || !type || !restore_ok) {
        return std::nullopt;
    }
    return ChangeType{*table, *column, *type, up, down, restore};
}

std::string canonical_change_type(const ChangeType& op) {
    return "change_type " + quote_ident(op.table) + " " + quote_ident(op.column) + " " +
           quote_literal(op.type.sql) +
           " up=" + (op.up ? quote_literal(op.up->sql) : std::string("-")) +
           " down=" + (op.down ? quote_literal(op.down->sql) : std::string("-")) +
           (op.restore ? canonical_tombstone(*op.restore) : std::string());
}

} // namespace

extern constinit const OperationUnit change_type_unit =
    operation_unit<ChangeType, load_change_type, plan_change_type, canonical_change_type>(
        "change_type");

} // namespace pgphase::planners
