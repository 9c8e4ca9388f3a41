// Sync triggers and NOT NULL-through-CHECK, shared by the operation rewrites. Pure.
#include "planners/ops/building_blocks.hpp"

#include "planners/sql/quote.hpp"

#include <algorithm>
#include <array>

namespace pgphase::planners {

std::string changed(const std::string& lhs, const std::string& rhs) {
    return lhs + "::text IS DISTINCT FROM " + rhs + "::text";
}

std::string backfill_tag(const OpContext& context) {
    return context.plan.name + "/" + std::to_string(context.change_index + 1);
}

std::string not_backfill_write(const OpContext& context) {
    return "pg_catalog.current_setting('" + std::string(backfill_setting) +
           "', true) IS DISTINCT FROM " + quote_literal(backfill_tag(context));
}

std::string padded_change_number(const OpContext& context) {
    const std::string number = std::to_string(context.change_index + 1);
    const std::size_t width = std::to_string(context.plan.changes.size()).size();
    return std::string(width > number.size() ? width - number.size() : 0, '0') + number;
}

SyncTrigger sync_trigger_names(const OpContext& context) {
    const std::string name =
        derived_name({"pgphase", context.plan.name, padded_change_number(context)});
    return {{context.options.state_schema, name}, name};
}

std::vector<std::string> create_sync_trigger(const OpContext& context, const SyncTrigger& names,
                                             const QualifiedName& table, const Quoted& body) {
    const Quoted function_body = render_sql(R"sql(
#variable_conflict use_column
{body})sql",
                                            {{"body", body}});
    // clang-format off
    return {
        render_sql(R"sql(CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql SET search_path = {schema} AS {body})sql",
                   {{"function", qualified(names.function)},
                    {"schema", ident(context.plan.schema)},
                    {"body", dollar_quoted(function_body)}}).str(),
        render_sql(R"sql(CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW WHEN ({not_backfill}) EXECUTE FUNCTION {function}())sql",
                   {{"trigger", ident(names.trigger)},
                    {"table", qualified(table)},
                    {"not_backfill", Quoted::assembled(not_backfill_write(context))},
                    {"function", qualified(names.function)}}).str(),
    };
    // clang-format on
}

Quoted fill_from_down_body(const std::string& column, const Expression& down,
                           const std::string& recompute, const Quoted& before_return) {
    const Quoted name = ident(column);
    const Quoted value = expression_sql(down);
    // clang-format off
    const Quoted follow = recompute.empty() ? Quoted() : render_sql(
R"sql(    ELSIF NOT (NEW.{column}::text IS DISTINCT FROM OLD.{column}::text) AND ({recompute}) THEN
        NEW.{column} := (SELECT ({down}) FROM (SELECT NEW.*) AS pgphase_row);
)sql",
        {{"column", name}, {"down", value}, {"recompute", Quoted::assembled(recompute)}});
    return render_sql(R"sql(BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.{column} IS NULL THEN
            NEW.{column} := (SELECT ({down}) FROM (SELECT NEW.*) AS pgphase_row);
        END IF;
{follow}    END IF;
{before_return}    RETURN NEW;
END
)sql",
        {{"column", name}, {"down", value}, {"follow", follow}, {"before_return", before_return}});
    // clang-format on
}

std::string inputs_changed(const Expression& down) {
    std::string out;
    for (const auto& column : down.column_refs) {
        out += out.empty() ? "" : " OR ";
        out += changed("NEW." + quote_ident(column), "OLD." + quote_ident(column));
    }
    return out;
}

namespace {

// A tombstone's number: short, the same on every run of the plan, and different for each
// migration, change and column, so tombstones of the same name never meet.
std::string tombstone_id(const OpContext& context, const std::string& name) {
    return fnv1a_hex(context.plan.name + "/" + std::to_string(context.change_index + 1) + "/" +
                     name)
        .substr(0, 8);
}

// The retention in its largest whole unit: "7 days" for PostgreSQL, "7d" for people.
std::string whole_units(Milliseconds keep, bool for_people) {
    struct Unit {
        std::int64_t ms;
        const char* name;
        const char* symbol;
    };
    static constexpr std::array<Unit, 5> units = {{{86'400'000, " days", "d"},
                                                   {3'600'000, " hours", "h"},
                                                   {60'000, " minutes", "m"},
                                                   {1000, " seconds", "s"},
                                                   {1, " milliseconds", "ms"}}};
    const std::int64_t ms = keep.count();
    const Unit& unit =
        *std::find_if(units.begin(), units.end(), [&](const Unit& u) { return ms % u.ms == 0; });
    return std::to_string(ms / unit.ms) + (for_people ? unit.symbol : unit.name);
}

} // namespace

std::string kept_note(const OpContext& context) {
    if (context.plan.settings.keep_dropped.count() <= 0) {
        return "";
    }
    return " (kept " + whole_units(context.plan.settings.keep_dropped, true) + " as a tombstone)";
}

std::string tombstone_schema(const std::string& state_schema) {
    return derived_name({state_schema, "dropped"});
}

std::string drop_or_keep_column(const OpContext& context, const QualifiedName& table,
                                const std::string& column) {
    if (context.plan.settings.keep_dropped.count() <= 0) {
        return "ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " + quote_ident(column);
    }
    const std::string id = tombstone_id(context, column);
    // clang-format off
    return render_sql(R"sql(SELECT {function}({table}, {column}, {tombstone}, {marker}, {migration}, {change}, {keep}))sql",
        {{"function", qualified({context.options.state_schema, "keep_column"})},
         {"table", literal(table.sql())},
         {"column", literal(column)},
         {"tombstone", literal(derived_name({"_pgphase_dropped", id, column}))},
         {"marker", literal(derived_name({"_pgphase_written", id}))},
         {"migration", literal(context.plan.name)},
         {"change", Quoted::assembled(std::to_string(context.change_index + 1))},
         {"keep", Quoted::assembled(quote_literal(whole_units(context.plan.settings.keep_dropped, false)))}}).str();
    // clang-format on
}

std::string drop_or_keep_table(const OpContext& context, const QualifiedName& table) {
    if (context.plan.settings.keep_dropped.count() <= 0) {
        return "DROP TABLE IF EXISTS " + table.sql();
    }
    // clang-format off
    return render_sql(R"sql(SELECT {function}({table}, {tombstone}, {schema}, {migration}, {change}, {keep}))sql",
        {{"function", qualified({context.options.state_schema, "keep_table"})},
         {"table", literal(table.sql())},
         {"tombstone", literal(derived_name({"_pgphase_dropped", tombstone_id(context, table.name), table.name}))},
         {"schema", literal(tombstone_schema(context.options.state_schema))},
         {"migration", literal(context.plan.name)},
         {"change", Quoted::assembled(std::to_string(context.change_index + 1))},
         {"keep", Quoted::assembled(quote_literal(whole_units(context.plan.settings.keep_dropped, false)))}}).str();
    // clang-format on
}

std::vector<std::string> drop_sync_trigger(const SyncTrigger& names, const QualifiedName& table) {
    return {
        "DROP TRIGGER IF EXISTS " + quote_ident(names.trigger) + " ON " + table.sql(),
        "DROP FUNCTION IF EXISTS " + names.function.sql() + "()",
    };
}

std::string not_null_check_name(const std::string& table, const std::string& column) {
    return derived_name({table, column, "not_null"});
}

std::string add_not_null_check(const QualifiedName& table, const std::string& column,
                               const std::string& check) {
    return "ALTER TABLE " + table.sql() + " ADD CONSTRAINT " + quote_ident(check) + " CHECK (" +
           quote_ident(column) + " IS NOT NULL) NOT VALID";
}

Step& add_validate_not_null(OpContext& context, const std::string& table, const std::string& column,
                            const std::string& check) {
    const QualifiedName name = context.table_name(table);
    Step& validate = context.add_step(Phase::backfill, table,
                                      "validate that " + table + "." + column + " holds no NULL");
    validate.lock = LockLevel::share_update_exclusive;
    validate.sql.push_back("ALTER TABLE " + name.sql() + " VALIDATE CONSTRAINT " +
                           quote_ident(check));
    validate.violation_count_sql =
        "SELECT count(*) FROM " + name.sql() + " WHERE " + quote_ident(column) + " IS NULL";
    return validate;
}

std::vector<std::string> promote_not_null_check(const QualifiedName& table,
                                                const std::string& column,
                                                const std::string& check) {
    return {
        "ALTER TABLE " + table.sql() + " ALTER COLUMN " + quote_ident(column) + " SET NOT NULL",
        "ALTER TABLE " + table.sql() + " DROP CONSTRAINT IF EXISTS " + quote_ident(check),
    };
}

} // namespace pgphase::planners

namespace pgphase::planners {

std::string quoted_columns(const std::vector<std::string>& columns, const std::string& alias) {
    std::string out;
    for (const auto& column : columns) {
        out += out.empty() ? "" : ", ";
        out += (alias.empty() ? "" : alias + ".") + quote_ident(column);
    }
    return out;
}

std::string describe_values_sql(const std::vector<std::string>& columns, const std::string& alias) {
    std::string names;
    std::string values;
    for (const auto& column : columns) {
        names += names.empty() ? "" : ", ";
        names += column;
        values += values.empty() ? "" : ", ";
        values += "COALESCE(" + (alias.empty() ? "" : alias + ".") + quote_ident(column) +
                  "::text, 'NULL')";
    }
    return quote_literal("(" + names + ")=(") + " || concat_ws(', ', " + values + ") || ')'";
}

std::vector<std::string> example_key(const CatalogTable* table) {
    if (table != nullptr && !table->primary_key.empty()) {
        return table->primary_key;
    }
    return {"ctid"};
}

std::string examples_by_key_sql(const QualifiedName& table, const std::vector<std::string>& key,
                                const std::string& violators,
                                const std::vector<std::string>& shown) {
    std::string described = describe_values_sql(key, "pgphase_row");
    if (!shown.empty()) {
        described += " || ': ' || " + describe_values_sql(shown, "pgphase_row");
    }
    return "SELECT " + described + " FROM " + table.sql() + " AS pgphase_row WHERE " + violators +
           " ORDER BY " + quoted_columns(key, "pgphase_row") + " LIMIT 5";
}

} // namespace pgphase::planners
