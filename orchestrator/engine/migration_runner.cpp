// The phase commands: start (expand), backfill, complete (contract), rollback and advance, each
// refusing a wrong phase with the next allowed command. Steps run in runner_steps.cpp, guards in
// runner_guards.cpp; this file holds no SQL of its own beyond state-store calls.
#include "orchestrator/engine/migration_runner.hpp"

#include "orchestrator/engine/backfill.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/purge.hpp"
#include "orchestrator/engine/runner_internal.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "planners/plan/planner.hpp"
#include "planners/plan/step_json.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <thread>

namespace pgphase::orchestrator {

using planners::Phase;
using planners::Step;
using runner::application_name;
using runner::contains;
using runner::lock_timeout_sql;
using runner::next_hint;

MigrationRunner::MigrationRunner(const planners::Plan& plan, const Dsn& dsn, RunOptions options)
    : m_plan(plan)
    , m_dsn(dsn)
    , m_options(std::move(options)) {
    if (!m_options.sleep) {
        m_options.sleep = [](planners::Milliseconds ms) { std::this_thread::sleep_for(ms); };
    }
    m_session = std::make_unique<Session>(dsn, application_name(m_options.command, plan.name));
    m_store = std::make_unique<StateStore>(*m_session, m_options.state_schema, m_options.actor);
    m_store->set_command(m_options.command);
    m_store->ensure();
    lock_migration();
}

MigrationRunner::~MigrationRunner() = default;

PhaseReport MigrationRunner::start() {
    auto record = m_store->find(m_plan.name);
    if (!record || record->phase == MigrationPhase::rolled_back) {
        planners::Catalog catalog =
            read_planning_catalog(*m_session, m_plan, m_options.state_schema);
        planners::PlanningOptions planning;
        planning.state_schema = m_options.state_schema;
        planning.version_schema = true;
        planners::PlannedMigration planned = planners::plan_migration(m_plan, &catalog, planning);
        for (const auto& diagnostic : planned.diagnostics.all()) {
            if (diagnostic.severity != planners::Severity::error) {
                log::warn("plan.diagnostic", {{"message", planners::format(diagnostic)}});
            }
        }
        if (planned.diagnostics.has_errors()) {
            std::string text = planned.diagnostics.to_string();
            if (!text.empty() && text.back() == '\n') {
                text.pop_back();
            }
            throw CommandError(ExitCode::bad_input, text);
        }
        m_session->transaction([&](Transaction& tx) {
            check_no_overlap(tx, planned.steps);
            m_store->create(tx, m_plan.name, m_plan.schema, planners::checksum(m_plan),
                            m_plan.source_text, planners::to_json(planned.steps));
            m_store->event(
                tx, m_plan.name, "migration.started",
                {{"checksum", planners::checksum(m_plan)}, {"steps", planned.steps.size()}});
        });
        record = m_store->find(m_plan.name);
    } else {
        check_checksum(*record);
        if (record->phase != MigrationPhase::expanding) {
            throw CommandError(ExitCode::refused,
                               "migration \"" + m_plan.name + "\" is already " +
                                   phase_name(record->phase) + "; start has nothing to do",
                               next_hint(record->phase, m_plan.source_file));
        }
        log::info("migration.resumed", {{"migration", m_plan.name}, {"phase", "expand"}});
    }
    m_steps = planners::steps_from_json(record->steps);
    PhaseReport report = run_phase(*record, Phase::expand);
    m_store->set_phase(m_plan.name, MigrationPhase::expanded);
    return report;
}

PhaseReport MigrationRunner::backfill() {
    MigrationRecord record = require_record("backfill");
    check_checksum(record);
    if (record.phase == MigrationPhase::backfilled) {
        // Rows can fall out of step after a sweep when writes bypass triggers (logical
        // replication apply, session_replication_role = replica): sweep those tables again.
        std::vector<int> again;
        for (int i = 0; i < static_cast<int>(m_steps.size()); ++i) {
            const Step& step = m_steps[static_cast<std::size_t>(i)];
            if (step.backfill && count_pending(*m_session, *step.backfill) > 0) {
                again.push_back(i);
            }
        }
        if (again.empty()) {
            log::info("backfill.already_done", {{"migration", m_plan.name}});
            return {};
        }
        m_session->transaction([&](Transaction& tx) {
            for (int i : again) {
                m_store->clear_checkpoint(tx, m_plan.name, i);
                m_store->mark_step(tx, m_plan.name, i, false);
            }
            m_store->set_phase(tx, m_plan.name, MigrationPhase::backfilling);
        });
        record = require_record("backfill");
    } else if (record.phase == MigrationPhase::expanded) {
        m_store->set_phase(m_plan.name, MigrationPhase::backfilling);
    } else if (record.phase != MigrationPhase::backfilling) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" is " + phase_name(record.phase) +
                               "; backfill runs after start and before complete",
                           next_hint(record.phase, m_plan.source_file));
    }
    PhaseReport report = run_phase(record, Phase::backfill);
    if (report.finished) {
        m_store->set_phase(m_plan.name, MigrationPhase::backfilled);
    }
    return report;
}

// Records the Prisma migration as `prisma migrate resolve --applied` does, with an event, in
// the caller's transaction: the one that marks this migration completed.
void MigrationRunner::record_prisma_migration(Transaction& tx,
                                              const prisma::PrismaMigration& migration) {
    const std::string schema = prisma::history_schema(m_dsn.text());
    tx.execute(lock_timeout_sql(m_plan.settings.lock_timeout, true));
    const prisma::RecordResult result = prisma::record_applied(tx, schema, migration);
    const std::string event = result.inserted ? "prisma.recorded" : "prisma.already_recorded";
    m_store->event(tx, m_plan.name, event,
                   {{"prisma_migration", migration.name},
                    {"schema", schema},
                    {"checksum", result.checksum},
                    {"id", result.id},
                    {"rolled_back_attempts", result.rolled_back}});
    log::info(event, {{"migration", m_plan.name},
                      {"prisma_migration", migration.name},
                      {"table", planners::quote_ident(schema) + "._prisma_migrations"},
                      {"checksum", result.checksum}});
}

PhaseReport MigrationRunner::complete() {
    MigrationRecord record = require_record("complete");
    check_checksum(record);
    std::optional<prisma::PrismaMigration> prisma_migration;
    if (!m_options.prisma_migration.empty()) {
        prisma_migration = prisma::read_migration(m_options.prisma_migration);
    }
    // Prisma Migrate holds its advisory lock while `migrate deploy` runs: waiting longer than
    // lock_timeout for it ends the command, with contract (if any) already done.
    auto finish = [&](bool set_completed) {
        try {
            m_session->transaction([&](Transaction& tx) {
                if (prisma_migration) {
                    record_prisma_migration(tx, *prisma_migration);
                }
                if (set_completed) {
                    if (m_options.on_completed) {
                        m_options.on_completed(tx);
                    }
                    m_store->set_phase(tx, m_plan.name, MigrationPhase::completed);
                }
            });
        } catch (const DatabaseError& e) {
            if (!prisma_migration || !e.lock_timeout()) {
                throw;
            }
            throw CommandError(ExitCode::lock_gave_up,
                               "gave up waiting for Prisma Migrate's advisory lock to record \"" +
                                   prisma_migration->name + "\" as applied: " + e.what(),
                               "a prisma migrate command is running; rerun pgphase complete " +
                                   m_plan.source_file + " when it has finished");
        }
    };
    if (record.phase == MigrationPhase::completed) {
        log::info("complete.already_done", {{"migration", m_plan.name}});
        if (prisma_migration) {
            finish(false); // recorded now if an earlier complete ran without it
        }
        return {};
    }
    const bool has_backfill = planners::has_phase(m_steps, Phase::backfill);
    const bool allowed = record.phase == MigrationPhase::backfilled ||
                         record.phase == MigrationPhase::contracting ||
                         (record.phase == MigrationPhase::expanded && !has_backfill);
    if (!allowed) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" is " + phase_name(record.phase) +
                               "; complete needs a finished backfill",
                           next_hint(record.phase, m_plan.source_file));
    }
    if (record.phase != MigrationPhase::contracting) {
        check_soak(record);
        for (const auto& step : m_steps) {
            if (!step.backfill) {
                continue;
            }
            const std::int64_t pending = count_pending(*m_session, *step.backfill);
            if (pending > 0) {
                throw CommandError(
                    ExitCode::refused,
                    std::to_string(pending) + " rows of " + step.backfill->table.display() +
                        " are not yet backfilled (" + step.summary + ")",
                    "run pgphase backfill " + m_plan.source_file + ", then complete again");
            }
        }
    }
    if (prisma_migration) {
        // A migration.sql that differs from the one Prisma recorded stops complete before
        // contract drops anything, not after.
        const std::string schema = prisma::history_schema(m_dsn.text());
        m_session->transaction([&](Transaction& tx) {
            const prisma::HistoryCheck check = prisma::check_history(tx, schema, *prisma_migration);
            if (check.state == prisma::HistoryState::checksum_differs) {
                prisma::throw_checksum_conflict(schema, *prisma_migration, check);
            }
        });
    }
    if (record.phase != MigrationPhase::contracting) {
        m_store->set_phase(m_plan.name, MigrationPhase::contracting);
    }
    drop_superseded_version_schemas();
    align_other_version_schemas();
    PhaseReport report = run_phase(record, Phase::contract);
    finish(true);
    purge_expired_tombstones();
    return report;
}

// Any complete also drops the tombstones whose time is up (this migration's are new). The
// migration is complete either way: a tombstone that cannot go now is left for the next complete
// or `pgphase purge`, with a warning.
void MigrationRunner::purge_expired_tombstones() {
    PurgeOptions options;
    options.sleep = m_options.sleep;
    const auto expired = purgeable(*m_store, options);
    if (expired.empty()) {
        return;
    }
    const PurgeResult result =
        purge(*m_session, *m_store, expired, options, [](const TombstoneRecord& tombstone) {
            log::info("tombstone.purging", {{"tombstone", tombstone_text(tombstone)}});
        });
    for (const auto& failure : result.failures) {
        log::warn("tombstone.not_purged",
                  {{"error", failure}, {"hint", "run pgphase purge once the cause is fixed"}});
    }
}

PhaseReport MigrationRunner::rollback() {
    MigrationRecord record = require_record("rollback");
    if (record.checksum != planners::checksum(m_plan)) {
        log::warn("rollback.plan_changed",
                  {{"migration", m_plan.name},
                   {"note", "the plan file changed since start; undoing the steps recorded then"}});
    }
    if (record.phase == MigrationPhase::rolled_back) {
        log::info("rollback.already_done", {{"migration", m_plan.name}});
        return {};
    }
    if (record.phase == MigrationPhase::contracting || record.phase == MigrationPhase::completed) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + m_plan.name + "\" is " + phase_name(record.phase) +
                               "; contract has run and cannot be rolled back",
                           record.phase == MigrationPhase::contracting
                               ? "finish it with pgphase complete " + m_plan.source_file
                               : "write a new migration to change the schema back");
    }
    m_store->set_phase(m_plan.name, MigrationPhase::rolling_back);
    PhaseReport report;
    const int total = static_cast<int>(m_steps.size());
    std::vector<int> undone; // newest first
    for (int i = total - 1; i >= 0; --i) {
        const Step& step = m_steps[static_cast<std::size_t>(i)];
        // Steps outside a transaction may have left something behind even when not done.
        if (step.phase != Phase::contract &&
            (contains(record.done_steps, i) || !step.transactional)) {
            undone.push_back(i);
        }
    }
    release_other_version_schemas(undone);
    for (int i : undone) {
        const Step& step = m_steps[static_cast<std::size_t>(i)];
        const std::string label = "undo of step " + std::to_string(i + 1) + "/" +
                                  std::to_string(total) + " \"" + step.summary + "\"";
        check_stop("undo of step " + std::to_string(i + 1) + "/" + std::to_string(total));
        log::info("step.undo", {{"migration", m_plan.name}, {"step", label}});
        if (m_options.on_progress) {
            m_options.on_progress({"rollback", i + 1, total, step.summary, -1, 0});
        }
        undo_step(i, step, label);
        report.steps_run += 1;
    }
    m_session->transaction([&](Transaction& tx) {
        m_store->clear_checkpoints(tx, m_plan.name);
        m_store->set_phase(tx, m_plan.name, MigrationPhase::rolled_back);
    });
    return report;
}

std::string advance_line(const std::string& name, const AdvanceReport& report,
                         AdvanceTarget target) {
    if (report.from == report.to) {
        return name + ": " + report.to + ", nothing to do for --to " + target_name(target);
    }
    return name + ": " + (report.from.empty() ? "not started" : report.from) + " -> " + report.to +
           " (" + std::to_string(report.work.steps_run) + " steps run, " +
           std::to_string(report.work.rows_backfilled) + " rows backfilled)";
}

std::string MigrationRunner::phase() {
    const auto record = m_store->find(m_plan.name);
    return record ? phase_name(record->phase) : std::string();
}

AdvanceReport MigrationRunner::advance(AdvanceTarget target) {
    AdvanceReport out;
    if (!m_options.prisma_migration.empty()) {
        // A wrong directory is found at release N's expand, not weeks later at contract.
        prisma::read_migration(m_options.prisma_migration);
    }
    auto record = m_store->find(m_plan.name);
    if (record) {
        out.from = phase_name(record->phase);
        if (record->phase == MigrationPhase::rolled_back ||
            record->phase == MigrationPhase::rolling_back) {
            throw CommandError(
                ExitCode::refused,
                "migration \"" + m_plan.name + "\" is " + phase_name(record->phase) +
                    "; advance only goes forward",
                record->phase == MigrationPhase::rolling_back
                    ? "finish the rollback with pgphase rollback " + m_plan.source_file
                    : "start it again on purpose with pgphase start " + m_plan.source_file);
        }
        check_checksum(*record);
    }
    auto add = [&](const PhaseReport& report) {
        out.work.steps_run += report.steps_run;
        out.work.rows_backfilled += report.rows_backfilled;
        out.work.finished = report.finished;
    };
    auto phase_is = [&](std::initializer_list<MigrationPhase> phases) {
        return std::find(phases.begin(), phases.end(), record->phase) != phases.end();
    };
    if (!record || record->phase == MigrationPhase::expanding) {
        add(start());
        record = m_store->find(m_plan.name);
    }
    if (target != AdvanceTarget::expand &&
        phase_is({MigrationPhase::expanded, MigrationPhase::backfilling})) {
        const bool has_backfill =
            planners::has_phase(planners::steps_from_json(record->steps), Phase::backfill);
        if (has_backfill || record->phase == MigrationPhase::backfilling) {
            add(backfill());
            record = m_store->find(m_plan.name);
        }
    }
    // A completed migration goes through complete again only to record its Prisma migration
    // (a no-op when it is recorded already).
    if (target == AdvanceTarget::complete && out.work.finished &&
        (phase_is(
             {MigrationPhase::expanded, MigrationPhase::backfilled, MigrationPhase::contracting}) ||
         (phase_is({MigrationPhase::completed}) && !m_options.prisma_migration.empty()))) {
        add(complete());
        record = m_store->find(m_plan.name);
    }
    out.to = phase_name(record->phase);
    return out;
}

} // namespace pgphase::orchestrator
