// Plans the `sql` operation: raw statements run as written in the phase the plan names, in
// one transaction (or each on its own with `transactional: false`), with `down` as their undo.
// Without `down`, the undo is a statement that fails with a message saying so, so rollback
// past the change stops clearly instead of pretending it was undone. The statements are
// linted like any raw SQL migration and the findings become planner warnings at the plan's
// file:line:column. Pure.
#include "planners/lint/linter.hpp"
#include "planners/lint/source.hpp"
#include "planners/load/reader.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/ops/registry.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pg_query.h>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

namespace {

Phase phase_of(const RawSql& op) {
    if (op.phase == "backfill") {
        return Phase::backfill;
    }
    return op.phase == "contract" ? Phase::contract : Phase::expand;
}

void lint_up(OpContext& context, const RawSql& op) {
    lint::LintOptions options;
    // The engine sets lock_timeout on every transactional step, and the loader reported any
    // syntax error already.
    options.disabled = {"missing-lock-timeout", "syntax-error"};
    options.prisma = op.transactional; // every statement of the step in one transaction
    lint::Linter linter = context.catalog != nullptr ? lint::Linter(options, *context.catalog)
                                                     : lint::Linter(options);
    linter.lint(lint::SourceFile(context.plan.source_file, op.up.text), false);
    for (const lint::Finding& finding : linter.result().findings) {
        std::string hint = finding.hint;
        if (!finding.lock.empty()) {
            hint = "takes " + finding.lock + (finding.effect.empty() ? "" : ", " + finding.effect) +
                   (hint.empty() ? "" : "; " + hint);
        }
        const std::string message = "sql up: " + finding.message + " [lint " + finding.rule + "]";
        const SourceMark at = locate(op.up, finding.mark.line, finding.mark.column);
        if (finding.level == lint::Level::info) {
            context.diagnostics.note(at, message, hint);
        } else {
            context.diagnostics.warning(at, message, hint);
        }
    }
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    if (line.size() > 60) {
        line.resize(57);
        line += "...";
    }
    return line;
}

} // namespace

void plan_raw_sql(OpContext& context, const RawSql& op) {
    lint_up(context, op);
    context.diagnostics.note(context.change.mark,
                             "pgphase does not know what raw SQL does to tables",
                             "later changes of the plan and the new version's schema do not see "
                             "its effect");

    Step& step =
        context.add_step(Phase::expand, "", "run sql: " + first_line(op.up.statements.front()));
    step.phase = phase_of(op);
    step.table = {context.plan.schema, op.table.empty() ? "(no table)" : op.table};
    // Unknown without running it: assume the strongest, as documented.
    step.lock = LockLevel::access_exclusive;
    step.transactional = op.transactional;
    step.sql = op.up.statements;
    step.undo_transactional = op.transactional;
    if (op.down) {
        step.undo = op.down->statements;
    } else if (step.phase != Phase::contract) {
        const std::string message =
            "pgphase: change " + std::to_string(context.change_index + 1) +
            " (sql) has no \"down\", so it cannot be undone; the rollback stopped here";
        const std::string hint = "pgphase cannot roll the migration back past raw SQL without "
                                 "\"down\"; undo its effect by hand if you must";
        step.undo.push_back("DO " + dollar_quote("BEGIN\n    RAISE EXCEPTION USING ERRCODE = "
                                                 "'feature_not_supported', MESSAGE = " +
                                                 quote_literal(message) +
                                                 ", HINT = " + quote_literal(hint) + ";\nEND\n"));
    }
}

// The operation's unit: its YAML fields, its part of the checksum, its registration.

namespace {

// The first table a parse tree names (a RangeVar: `relation`, FROM items), or "".
std::string first_table(const nlohmann::json& node) {
    if (node.is_object()) {
        if (node.contains("relname") && node.at("relname").is_string()) {
            return node.at("relname").get<std::string>();
        }
        for (const auto& [key, value] : node.items()) {
            if (std::string found = first_table(value); !found.empty()) {
                return found;
            }
        }
    } else if (node.is_array()) {
        for (const auto& item : node) {
            if (std::string found = first_table(item); !found.empty()) {
                return found;
            }
        }
    }
    return "";
}

// Reads raw SQL (sql's up or down), split into statements by PostgreSQL's parser. A parse
// error is reported where it is in the plan file: exactly for a one-line scalar or a literal
// block (|), at the scalar for other forms.
std::optional<SqlText> read_sql_text(Loader& loader, MapReader& reader, const std::string& key,
                                     bool required, bool transactional) {
    auto text = reader.string(key, required);
    if (!text) {
        return std::nullopt;
    }
    const YAML::Node node = reader.get(key);
    SqlText sql;
    sql.text = *text;
    sql.mark = loader.mark(node);
    const auto at = [&](int line) { return loader.line(line); };
    const std::string_view indicator_line = at(sql.mark.line);
    const auto indicator = static_cast<std::size_t>(std::max(0, sql.mark.column - 1));
    const char first = indicator < indicator_line.size() ? indicator_line[indicator] : ' ';
    if (first == '|') {
        // Literal block: text line n is plan line mark.line + n, after the block's indent.
        std::size_t indent = std::string::npos;
        for (int line = sql.mark.line + 1; line <= loader.line_count(); ++line) {
            const std::string_view content = at(line);
            const std::size_t spaces = content.find_first_not_of(' ');
            if (spaces != std::string::npos) {
                indent = spaces;
                break;
            }
        }
        std::istringstream in(sql.text);
        bool matches = indent != std::string::npos;
        int n = 0;
        for (std::string line; matches && std::getline(in, line); ++n) {
            const std::string_view source = at(sql.mark.line + 1 + n);
            matches = line.empty() || (source.size() >= indent && source.substr(indent) == line);
        }
        sql.mapped = matches;
        if (matches) {
            sql.block = true;
            sql.mark.line += 1;
            sql.mark.column = static_cast<int>(indent) + 1;
        }
    } else if (first == '"' || first == '\'') {
        sql.mark.column += 1;
        sql.mapped = sql.text.find('\n') == std::string::npos;
    } else if (first == '>') {
        sql.mapped = false; // folded: lines joined, columns shifted
    }
    const lint::SourceFile parsed(loader.file(), sql.text);
    // The whole text first: the statement splitter drops some unparsable pieces ("SELEC 1").
    PgQueryParseResult whole = pg_query_parse(sql.text.c_str());
    std::optional<std::string> problem;
    SourceMark where = sql.mark;
    if (whole.error != nullptr) {
        problem = whole.error->message;
        const SourceMark inside = parsed.mark_at(
            whole.error->cursorpos > 0 ? static_cast<std::size_t>(whole.error->cursorpos - 1) : 0);
        where = locate(sql, inside.line, inside.column);
    }
    pg_query_free_parse_result(whole);
    if (problem) {
        loader.diagnostics().error(where, "invalid SQL in \"" + key + "\": " + *problem,
                                   "\"" + key + "\" is run as written; fix the statement");
        return std::nullopt;
    }
    for (const auto& statement : parsed.statements()) {
        if (statement.kind.empty()) {
            continue; // cannot happen once the whole text parsed; nothing to run
        }
        const nlohmann::json tree = statement.tree();
        const nlohmann::json& body = tree.at(statement.kind);
        const bool concurrent = body.is_object() && body.value("concurrent", false);
        if (transactional && (concurrent || statement.kind == "VacuumStmt")) {
            loader.diagnostics().error(
                locate(sql, statement.mark.line, statement.mark.column),
                "\"" + key + "\" runs in a transaction, which " +
                    (concurrent ? std::string("CONCURRENTLY") : "VACUUM") + " cannot run in",
                "add \"transactional: false\" to this sql change (each statement then runs on "
                "its own)");
            return std::nullopt;
        }
        sql.statements.emplace_back(statement.text);
        if (sql.table.empty()) {
            sql.table = first_table(tree);
        }
    }
    if (sql.statements.empty()) {
        loader.error(node, "\"" + key + "\" holds no SQL statement");
        return std::nullopt;
    }
    return sql;
}

std::optional<Operation> load_sql(Loader& loader, const YAML::Node& node) {
    MapReader reader(loader, node, "sql", {"up", "down", "phase", "transactional"});
    if (!reader.ok()) {
        return std::nullopt;
    }
    RawSql out;
    const bool transactional = reader.boolean("transactional").value_or(true);
    auto up = read_sql_text(loader, reader, "up", true, transactional);
    auto down = read_sql_text(loader, reader, "down", false, transactional);
    bool ok = up.has_value() && (down.has_value() || !reader.get("down").IsDefined());
    if (auto phase = reader.string("phase", false)) {
        static const std::vector<std::string> phases = {"expand", "backfill", "contract"};
        if (std::find(phases.begin(), phases.end(), *phase) == phases.end()) {
            loader.error(reader.get("phase"), "unknown phase \"" + *phase + "\"",
                         did_you_mean(*phase, phases));
            ok = false;
        } else {
            out.phase = *phase;
        }
    }
    out.transactional = transactional;
    reader.finish();
    if (!ok) {
        return std::nullopt;
    }
    if (down && out.phase == "contract") {
        loader.error(reader.get("down"), "\"down\" of a contract-phase sql change never runs",
                     "contract is not rolled back; drop \"down\" or run the change in expand");
        return std::nullopt;
    }
    out.table = up->table;
    out.up = std::move(*up);
    out.down = std::move(down);
    return out;
}

std::string canonical_raw_sql(const RawSql& op) {
    return "sql " + op.phase + (op.transactional ? " transactional " : " outside ") +
           "up=" + quote_literal(op.up.text) +
           " down=" + (op.down ? quote_literal(op.down->text) : std::string("-"));
}

} // namespace

extern constinit const OperationUnit raw_sql_unit =
    operation_unit<RawSql, load_sql, plan_raw_sql, canonical_raw_sql>("sql");

} // namespace pgphase::planners
