// Shared pieces of the restore operations: see restore_blocks.hpp. Pure.
#include "planners/ops/restore_blocks.hpp"

#include "planners/load/reader.hpp"
#include "planners/ops/building_blocks.hpp"
#include "planners/sql/expression.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

#include <nlohmann/json.hpp>
#include <pg_query.h>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

// The node type of `sql`'s one statement ("AlterTableStmt"), or "" when it is not exactly one.
std::string statement_type(const std::string& sql) {
    std::string type;
    PgQueryParseResult result = pg_query_parse(sql.c_str());
    if (result.error == nullptr) {
        const auto tree = nlohmann::json::parse(result.parse_tree);
        const auto& statements = tree.value("stmts", nlohmann::json::array());
        if (statements.size() == 1 && statements[0].contains("stmt") &&
            !statements[0]["stmt"].empty()) {
            type = statements[0]["stmt"].begin().key();
        }
    }
    pg_query_free_parse_result(result);
    return type;
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// pg_get_indexdef's "CREATE [UNIQUE] INDEX name ON ..." built concurrently.
std::string concurrently(const std::string& definition) {
    const std::string index = "INDEX ";
    const auto at = definition.find(index);
    return definition.substr(0, at + index.size()) + "CONCURRENTLY IF NOT EXISTS " +
           definition.substr(at + index.size());
}

std::optional<RelaxedObject> load_relaxed(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "relaxed object", {"kind", "name", "definition"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    auto kind = reader.string("kind", true);
    auto name = reader.identifier("name", true);
    auto definition = reader.string("definition", true);
    reader.finish();
    if (!kind || !name || !definition) {
        return std::nullopt;
    }
    const YAML::Node at = reader.get("definition");
    if (*kind == "constraint") {
        if (statement_type("ALTER TABLE t ADD CONSTRAINT " + quote_ident(*name) + " " +
                           *definition) != "AlterTableStmt") {
            loader.error(at, "not one constraint definition: " + *definition);
            return std::nullopt;
        }
    } else if (*kind == "index") {
        if ((!starts_with(*definition, "CREATE INDEX ") &&
             !starts_with(*definition, "CREATE UNIQUE INDEX ")) ||
            statement_type(*definition) != "IndexStmt") {
            loader.error(at, "not one CREATE INDEX statement: " + *definition);
            return std::nullopt;
        }
    } else if (*kind == "default") {
        auto parsed = parse_expression(*definition, loader.mark(at));
        if (auto* error = std::get_if<ParseError>(&parsed)) {
            loader.error(at, "the default is not one expression: " + error->message);
            return std::nullopt;
        }
        definition = std::get<Expression>(parsed).sql; // canonical: what SET DEFAULT runs
    } else if (*kind == "not_null") {
        if (*definition != "NOT NULL") {
            loader.error(at, R"(a not_null object's definition is "NOT NULL")");
            return std::nullopt;
        }
    } else {
        loader.error(reader.get("kind"), "unknown relaxed object kind \"" + *kind + "\"",
                     did_you_mean(*kind, {"constraint", "index", "default", "not_null"}));
        return std::nullopt;
    }
    return RelaxedObject{*kind, *name, *definition};
}

} // namespace

std::optional<Tombstone> load_tombstone(Loader& loader, const YAML::Node& node,
                                        const std::string& what, bool table) {
    std::vector<std::string> keys = {"name", "relaxed"};
    keys.emplace_back(table ? "schema" : "marker");
    MapReader reader(loader, node, what, keys);
    if (!reader.ok()) {
        return std::nullopt;
    }
    Tombstone out;
    auto name = reader.identifier("name", true);
    auto place = reader.identifier(table ? "schema" : "marker", table);
    bool ok = name.has_value();
    if (YAML::Node list = reader.get("relaxed"); list.IsDefined() && !list.IsNull()) {
        if (!list.IsSequence()) {
            loader.error(list, "\"relaxed\" must be a list of {kind, name, definition}");
            ok = false;
        } else {
            for (const auto& item : list) {
                auto object = load_relaxed(loader, item);
                ok = object.has_value() && ok;
                if (object) {
                    out.relaxed.push_back(std::move(*object));
                }
            }
        }
    }
    reader.finish();
    if (!ok || (table && !place)) {
        return std::nullopt;
    }
    out.name = *name;
    (table ? out.schema : out.marker) = place.value_or("");
    return out;
}

std::string canonical_tombstone(const Tombstone& tombstone) {
    std::string out = " tombstone=" + quote_ident(tombstone.name) + " " +
                      quote_ident(tombstone.schema) + " " + quote_ident(tombstone.marker) + " [";
    for (const auto& object : tombstone.relaxed) {
        out += quote_literal(object.kind) + " " + quote_ident(object.name) + " " +
               quote_literal(object.definition) + ",";
    }
    return out + "]";
}

RelaxedRebuild rebuild_relaxed(OpContext& context, const std::string& table,
                               const std::vector<RelaxedObject>& relaxed) {
    RelaxedRebuild out;
    const QualifiedName name = context.table_name(table);
    const std::string alter = "ALTER TABLE " + name.sql() + " ";
    std::vector<std::pair<std::string, std::string>> validations; // constraint, summary
    for (const auto& object : relaxed) {
        const std::string constraint = quote_ident(object.name);
        if (object.kind == "default") {
            // pg_get_expr's text of the column's default, parsed when the plan was loaded.
            out.expand.push_back(alter + "ALTER COLUMN " + constraint + " SET DEFAULT " +
                                 object.definition);
            out.expand_undo.push_back(alter + "ALTER COLUMN " + constraint + " DROP DEFAULT");
        } else if (object.kind == "not_null") {
            const std::string check = not_null_check_name(table, object.name);
            out.expand.push_back(add_not_null_check(name, object.name, check));
            out.expand_undo.push_back(alter + "DROP CONSTRAINT IF EXISTS " + quote_ident(check));
            add_validate_not_null(context, table, object.name, check);
            for (auto& statement : promote_not_null_check(name, object.name, check)) {
                out.contract.push_back(std::move(statement));
            }
        } else if (object.kind == "index") {
            Step& build =
                context.add_step(Phase::backfill, table,
                                 "rebuild index " + object.name + " on " + table + " concurrently");
            build.lock = LockLevel::share_update_exclusive;
            build.transactional = false;
            build.sql.push_back(concurrently(object.definition));
            build.concurrent_index = ConcurrentIndex{{context.plan.schema, object.name}};
            build.undo.push_back("DROP INDEX CONCURRENTLY IF EXISTS " +
                                 QualifiedName{context.plan.schema, object.name}.sql());
            build.undo_transactional = false;
        } else if (starts_with(object.definition, "CHECK ") ||
                   starts_with(object.definition, "FOREIGN KEY ")) {
            // Already NOT VALID when it was kept: it comes back so, and is not validated.
            const bool was_valid = !ends_with(object.definition, " NOT VALID");
            out.expand.push_back(alter + "ADD CONSTRAINT " + constraint + " " + object.definition +
                                 (was_valid ? " NOT VALID" : ""));
            out.expand_undo.push_back(alter + "DROP CONSTRAINT IF EXISTS " + constraint);
            if (was_valid) {
                validations.emplace_back(object.name, object.definition);
            }
        } else if (starts_with(object.definition, "UNIQUE (") &&
                   object.definition.find("DEFERRABLE") == std::string::npos) {
            Step& build = context.add_step(Phase::backfill, table,
                                           "rebuild the unique index of constraint " + object.name +
                                               " on " + table + " concurrently");
            build.lock = LockLevel::share_update_exclusive;
            build.transactional = false;
            build.sql.push_back("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS " + constraint +
                                " ON " + name.sql() + " " +
                                object.definition.substr(std::string("UNIQUE ").size()));
            build.concurrent_index = ConcurrentIndex{{context.plan.schema, object.name}};
            build.undo.push_back("DROP INDEX CONCURRENTLY IF EXISTS " +
                                 QualifiedName{context.plan.schema, object.name}.sql());
            build.undo_transactional = false;
            out.contract.push_back(alter + "ADD CONSTRAINT " + constraint + " UNIQUE USING INDEX " +
                                   constraint);
        } else {
            context.diagnostics.warning(context.change.mark,
                                        "constraint \"" + object.name + "\" (" + object.definition +
                                            ") is added back at contract, under ACCESS EXCLUSIVE "
                                            "and with a scan of " +
                                            table);
            out.contract.push_back(alter + "ADD CONSTRAINT " + constraint + " " +
                                   object.definition);
        }
    }
    for (const auto& [constraint, definition] : validations) {
        Step& validate = context.add_step(Phase::backfill, table,
                                          "validate constraint " + constraint + " on " + table +
                                              " (" + definition + ")");
        validate.lock = starts_with(definition, "FOREIGN KEY ") ? LockLevel::share_row_exclusive
                                                                : LockLevel::share_update_exclusive;
        validate.sql.push_back(alter + "VALIDATE CONSTRAINT " + quote_ident(constraint));
    }
    return out;
}

void attach_to_expand(Step& step, const RelaxedRebuild& rebuild) {
    step.sql.insert(step.sql.end(), rebuild.expand.begin(), rebuild.expand.end());
    step.undo.insert(step.undo.begin(), rebuild.expand_undo.rbegin(), rebuild.expand_undo.rend());
}

std::string stop_marking(const QualifiedName& table, const std::string& marker) {
    return "DROP TRIGGER IF EXISTS " + quote_ident(marker) + " ON " + table.sql();
}

std::vector<std::string> resume_marking(const OpContext& context, const QualifiedName& table,
                                        const std::string& marker) {
    const QualifiedName function{context.options.state_schema, marker};
    // clang-format off
    return {
        stop_marking(table, marker),
        render_sql(R"sql(CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW WHEN (NEW.{marker} IS NULL) EXECUTE FUNCTION {function}())sql",
                   {{"trigger", ident(marker)},
                    {"table", qualified(table)},
                    {"marker", ident(marker)},
                    {"function", qualified(function)}}).str(),
    };
    // clang-format on
}

std::vector<std::string> drop_marker(const OpContext& context, const QualifiedName& table,
                                     const std::string& marker) {
    return {
        stop_marking(table, marker),
        "DROP FUNCTION IF EXISTS " + QualifiedName{context.options.state_schema, marker}.sql() +
            "()",
        "ALTER TABLE " + table.sql() + " DROP COLUMN IF EXISTS " + quote_ident(marker),
    };
}

std::string mark_restored(const OpContext& context, const std::string& kind,
                          const QualifiedName& table, const std::string& tombstone) {
    // clang-format off
    return render_sql(R"sql(UPDATE {tombstones} SET purged_at = now(), purged_by = {by} WHERE kind = {kind} AND relation = {table}::regclass AND tombstone = {tombstone} AND purged_at IS NULL)sql",
                      {{"tombstones", qualified({context.options.state_schema, "tombstones"})},
                       {"by", literal("restored by " + context.plan.name)},
                       {"kind", literal(kind)},
                       {"table", literal(table.sql())},
                       {"tombstone", literal(tombstone)}}).str();
    // clang-format on
}

} // namespace pgphase::planners
