// Plans the `sql` operation: raw statements run as written in the phase the plan names, in
// one transaction (or each on its own with `transactional: false`), with `down` as their undo.
// Without `down`, the undo is a statement that fails with a message saying so, so rollback
// past the change stops clearly instead of pretending it was undone. The statements are
// linted like any raw SQL migration and the findings become planner warnings at the plan's
// file:line:column. Pure.
#include "planners/lint/linter.hpp"
#include "planners/ops/op_context.hpp"
#include "planners/sql/quote.hpp"

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

} // namespace pgphase::planners
