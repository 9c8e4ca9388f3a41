// The guards a phase command passes before it changes anything: one pgphase per migration (a
// session advisory lock), a started migration, an unchanged plan, no overlapping in-flight
// migration, the soak time. They refuse (exit 2 or 3); they never run a step.
#include "orchestrator/engine/lock_holders.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/log/log.hpp"
#include "planners/plan/planner.hpp"
#include "planners/plan/step_json.hpp"

#include <algorithm>

namespace pgphase::orchestrator {

using planners::Step;

void MigrationRunner::lock_migration() {
    const std::string key = migration_lock_key(m_options.state_schema, m_plan.name);
    const Rows got =
        m_session->query("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", {key});
    if (got.text(0, 0) == "t") {
        return;
    }
    const std::string who = advisory_lock_holder(*m_session, key);
    throw MigrationHeld("migration \"" + m_plan.name + "\" is being run by " + who,
                        "wait for it to finish; if that process died, its lock goes when its "
                        "connection ends (pg_terminate_backend on that pid)",
                        who);
}

MigrationRecord MigrationRunner::require_record(const char* command) {
    auto record = m_store->find(m_plan.name);
    if (!record) {
        throw CommandError(ExitCode::refused,
                           std::string(command) + ": migration \"" + m_plan.name +
                               "\" has not been started",
                           "run pgphase start " + m_plan.source_file + " first");
    }
    m_steps = planners::steps_from_json(record->steps);
    return *record;
}

void MigrationRunner::check_checksum(const MigrationRecord& record) {
    const std::string now = planners::checksum(m_plan);
    if (record.checksum != now) {
        throw CommandError(ExitCode::bad_input,
                           "plan " + m_plan.source_file + " differs from the one migration \"" +
                               m_plan.name + "\" was started with (checksum " + now + ", started " +
                               "with " + record.checksum + ")",
                           "run the plan as it was at start, or roll the migration back and "
                           "start it again; settings may change, changes may not");
    }
}

void MigrationRunner::check_no_overlap(Transaction& tx, const std::vector<Step>& steps) {
    // Starts are serialized by a lock held to the end of this transaction, which also records
    // the new migration: two starts on one table cannot both see the other as absent.
    m_store->lock_starts(tx);
    std::vector<InFlightMigration> in_flight;
    for (const auto& record : m_store->in_flight(tx)) {
        in_flight.push_back({record.name, planners::steps_from_json(record.steps)});
    }
    if (auto conflict = find_table_conflict(m_plan.name, steps, in_flight)) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" touches table " + conflict->table +
                               ", which migration \"" + conflict->other +
                               "\" (in flight) also touches",
                           "finish \"" + conflict->other + "\" first (pgphase complete or " +
                               "rollback; pgphase status " + conflict->other +
                               " says where it stands), then start this one");
    }
}

void MigrationRunner::check_soak(const MigrationRecord& record) {
    const planners::Milliseconds plan_soak = m_plan.settings.contract_after;
    const planners::Milliseconds required = std::max(plan_soak, m_options.min_soak);
    if (required.count() <= 0) {
        return;
    }
    const std::string source = m_options.min_soak > plan_soak
                                   ? "--min-soak " + format_duration(required)
                                   : "contract_after: " + format_duration(required);
    // Set whenever expand has finished (a v2 store's upgrade fills it from its event log).
    const std::int64_t expanded_at_ms = record.expanded_at_ms.value_or(0);
    const SoakDecision soak = decide_soak(expanded_at_ms, m_store->now_ms(), required);
    if (soak.allowed) {
        return;
    }
    const std::string expanded = format_utc(expanded_at_ms);
    const std::string allowed_at = format_utc(soak.allowed_at_ms);
    if (m_options.force) {
        log::warn("soak.forced", {{"migration", m_plan.name},
                                  {"required", source},
                                  {"allowed_at", allowed_at},
                                  {"remaining", format_remaining(soak.remaining)}});
        m_store->event(m_plan.name, "soak.forced",
                       {{"required", source},
                        {"required_ms", required.count()},
                        {"expand_finished_at", expanded},
                        {"allowed_at", allowed_at},
                        {"remaining_ms", soak.remaining.count()}});
        return;
    }
    throw CommandError(ExitCode::refused,
                       "complete of migration \"" + m_plan.name +
                           "\" refused by the soak guard: expand finished at " + expanded +
                           " and " + source + " must pass first; complete is allowed from " +
                           allowed_at + " (in " + format_remaining(soak.remaining) + ")",
                       "rerun pgphase complete " + m_plan.source_file + " after " + allowed_at +
                           ", or pass --force to override (recorded in the event log)");
}

} // namespace pgphase::orchestrator
