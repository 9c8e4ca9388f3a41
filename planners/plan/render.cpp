// Renders planned steps as text (phases, locks, transactional flag), runnable-looking SQL with
// phase comments, or JSON. Pure.
#include "planners/plan/render.hpp"

#include "planners/model/text.hpp"
#include "planners/plan/step_json.hpp"
#include "planners/sql/quote.hpp"

namespace pgphase::planners {

std::string describe_backfill(const BackfillTask& task) {
    std::string set;
    for (const auto& assignment : task.set) {
        set += set.empty() ? "" : ", ";
        set += quote_ident(assignment.column) + " = " + assignment.expression;
    }
    std::string key = "<primary key>";
    if (!task.key.empty()) {
        key.clear();
        for (const auto& column : task.key) {
            key += key.empty() ? "" : ", ";
            key += quote_ident(column);
        }
    }
    return "UPDATE " + task.table.sql() + " SET " + set + " WHERE (" + key +
           ") in (next batch) AND (" + task.pending_predicate + ")";
}

namespace {

// Text from identifiers inside an SQL comment: a newline would end the comment early.
std::string comment(std::string text) {
    for (auto& c : text) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return text;
}

std::string render_text(const Plan& plan, const PlannedMigration& planned) {
    std::string out = "migration " + plan.name + " (schema " + plan.schema + ", " +
                      std::to_string(plan.changes.size()) + " change" +
                      (plan.changes.size() == 1 ? "" : "s") + ", " +
                      std::to_string(planned.steps.size()) + " steps)\n";
    int number = 0;
    for (Phase phase : {Phase::expand, Phase::backfill, Phase::contract}) {
        const auto steps = planned.phase_steps(phase);
        out += "\n" + std::string(phase_name(phase)) + ":\n";
        if (steps.empty()) {
            out += "  (nothing)\n";
        }
        for (const Step* step : steps) {
            ++number;
            out += "  " + std::to_string(number) + ". " + step->summary + "\n";
            out += "     lock: " + std::string(lock_name(step->lock)) + " on " +
                   step->table.display() +
                   (step->transactional ? "; in one transaction" : "; outside a transaction") +
                   "\n";
            for (const auto& statement : step->sql) {
                out += indent(statement, "     ") + "\n";
            }
            if (step->backfill) {
                out += "     " + describe_backfill(*step->backfill) + "\n";
            }
        }
    }
    if (!planned.unchecked.empty()) {
        out += "\nnot checked (no database):\n";
        for (const auto& note : planned.unchecked) {
            out += "  - " + note + "\n";
        }
    }
    return out;
}

std::string render_sql(const Plan& plan, const PlannedMigration& planned) {
    std::string out = "-- pgphase migration " + plan.name + "\n";
    if (!planned.unchecked.empty()) {
        out += "-- not checked (no database); placeholders in <angle brackets>:\n";
        for (const auto& note : planned.unchecked) {
            out += "--   " + comment(note) + "\n";
        }
    }
    Phase current = Phase::contract;
    bool first = true;
    for (const auto& step : planned.steps) {
        if (first || step.phase != current) {
            out += "\n-- ===== " + std::string(phase_name(step.phase)) + " =====\n";
            current = step.phase;
            first = false;
        }
        out += "\n-- " + comment(step.summary) + " (lock: " + lock_name(step.lock) + ")\n";
        if (step.kind == StepKind::backfill) {
            out += "-- batched by pgphase: " + comment(describe_backfill(*step.backfill)) + "\n";
            continue;
        }
        if (step.transactional) {
            out += "BEGIN;\n";
        }
        for (const auto& statement : step.sql) {
            out += statement + ";\n";
        }
        if (step.transactional) {
            out += "COMMIT;\n";
        }
    }
    return out;
}

} // namespace

std::string render(const Plan& plan, const PlannedMigration& planned, RenderFormat format) {
    switch (format) {
    case RenderFormat::text:
        return render_text(plan, planned);
    case RenderFormat::sql:
        return render_sql(plan, planned);
    case RenderFormat::json: {
        nlohmann::json out = {{"name", plan.name},
                              {"schema", plan.schema},
                              {"checksum", checksum(plan)},
                              {"steps", to_json(planned.steps)},
                              {"unchecked", planned.unchecked}};
        return out.dump(2) + "\n";
    }
    }
    return {};
}

} // namespace pgphase::planners
