// The deploy loop: folder, history check, then each pending migration applied directly or run
// in phases, stopping at the first app-rollout boundary, soak guard or failure.
#include "orchestrator/deploy/deployer.hpp"

#include "orchestrator/engine/lock_holders.hpp"
#include "orchestrator/engine/lock_retry.hpp"
#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/engine/outcome.hpp"
#include "orchestrator/engine/pipeline.hpp"
#include "orchestrator/log/log.hpp"
#include "orchestrator/pg/catalog_reader.hpp"
#include "orchestrator/prisma/prisma_history.hpp"
#include "orchestrator/state/store.hpp"
#include "planners/convert/converter.hpp"
#include "planners/deploy/direct_apply.hpp"
#include "planners/lint/linter.hpp"
#include "planners/load/plan_loader.hpp"
#include "planners/plan/planner.hpp"
#include "planners/plan/render.hpp"
#include "planners/plan/step_json.hpp"
#include "planners/sql/quote.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

namespace pgphase::orchestrator {

namespace {

namespace deploy = planners::deploy;
namespace lint = planners::lint;
using planners::quote_ident;

// The key of the one deploy per database (advisory locks are per database already).
constexpr const char* deploy_lock_key = "pgphase deploy";

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Where the history of a folder lives, and how to read and write it.
class History {
public:
    History(const deploy::MigrationFolder& folder, const Dsn& dsn, std::string state_schema)
        : m_prisma(folder.kind == deploy::FolderKind::prisma)
        , m_schema(m_prisma ? prisma::history_schema(dsn.text()) : std::move(state_schema)) {}

    bool prisma() const { return m_prisma; }
    // The schema the migrations' unqualified names land in (Prisma's ?schema=, else public).
    std::string target_schema() const { return m_prisma ? m_schema : "public"; }
    std::string table() const {
        return m_prisma ? prisma::table_name(m_schema)
                        : quote_ident(m_schema) + "." + quote_ident("deploy_history");
    }

    std::vector<deploy::HistoryRow> read(Transaction& tx) const {
        std::vector<deploy::HistoryRow> out;
        if (m_prisma) {
            for (const auto& row : prisma::read_rows(tx, m_schema)) {
                out.push_back({row.name, row.checksum, row.id, row.finished, row.rolled_back});
            }
            return out;
        }
        if (tx.query("SELECT pg_catalog.to_regclass($1)", {table()}).text(0, 0).empty()) {
            return out;
        }
        const Rows rows = tx.query("SELECT name, checksum FROM " + table() + " ORDER BY name");
        for (std::size_t i = 0; i < rows.rows.size(); ++i) {
            out.push_back({rows.text(i, 0), rows.text(i, 1), rows.text(i, 0), true, false});
        }
        return out;
    }

    // In the caller's transaction: the one that applies or completes the migration.
    void record(Transaction& tx, const deploy::FolderMigration& migration,
                const std::string& how) const {
        if (m_prisma) {
            prisma::PrismaMigration script{migration.name, migration.path, migration.script};
            prisma::record_applied(tx, m_schema, script, prisma::RecordAs::deployed);
            return;
        }
        tx.execute("CREATE TABLE IF NOT EXISTS " + table() +
                   " (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT "
                   "NULL DEFAULT pg_catalog.now(), applied_as text NOT NULL)");
        tx.query("INSERT INTO " + table() +
                     " (name, checksum, applied_as) VALUES ($1, pg_catalog.encode("
                     "pg_catalog.sha256(pg_catalog.decode($2, 'hex')), 'hex'), $3)",
                 {migration.name, prisma::hex_encode(migration.script), how});
    }

    // The checksums accepted for a file: Prisma's (as is, and its line-ending variants), or the
    // SHA-256 of its bytes.
    std::vector<std::string> digests(Transaction& tx, const std::string& script) const {
        return prisma::sha256_hex(tx, m_prisma ? prisma::checksum_inputs(script)
                                               : std::vector<std::string>{script});
    }

    bool matches(const std::string& stored, const std::vector<std::string>& digests) const {
        return m_prisma ? prisma::checksum_matches(stored, digests)
                        : std::find(digests.begin(), digests.end(), stored) != digests.end();
    }

private:
    bool m_prisma;
    std::string m_schema;
};

void lock_deploy(Session& session) {
    if (session.query("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", {deploy_lock_key})
            .text(0, 0) == "t") {
        return;
    }
    const std::string holder = advisory_lock_holder(session, deploy_lock_key);
    throw MigrationHeld("another deploy is running on this database: " + holder,
                        "wait for it to finish, then rerun; if that process died, its lock goes "
                        "when its connection ends (pg_terminate_backend on that pid)",
                        holder);
}

// "create-index-non-concurrent (3x, first at line 2); ..." for the error-level findings.
std::string error_findings(const std::vector<lint::Finding>& findings) {
    std::vector<std::pair<std::string, std::pair<int, int>>> rules; // rule -> count, first line
    for (const lint::Finding& finding : findings) {
        if (finding.level != lint::Level::error) {
            continue;
        }
        auto found = std::find_if(rules.begin(), rules.end(),
                                  [&](const auto& rule) { return rule.first == finding.rule; });
        if (found == rules.end()) {
            rules.push_back({finding.rule, {1, finding.mark.line}});
        } else {
            found->second.first += 1;
        }
    }
    std::string out;
    for (const auto& [rule, seen] : rules) {
        out += (out.empty() ? "" : "; ") + rule + " (" +
               (seen.first > 1 ? std::to_string(seen.first) + "x, first " : "") + "at line " +
               std::to_string(seen.second) + ")";
    }
    return out;
}

// A plan for a phased migration: its reviewed plan, else its conversion. Errors and TODOs are
// said in `out`; nullopt then.
std::optional<planners::Plan> plan_for(const deploy::FolderMigration& migration,
                                       const lint::SchemaModel& before, DeployedMigration& out) {
    if (migration.has_reviewed_plan) {
        out.plan_source = migration.reviewed_plan_path;
        planners::LoadResult loaded = planners::load_plan_file(migration.reviewed_plan_path);
        if (!loaded.plan) {
            out.state = "failed";
            out.error = "reviewed plan " + migration.reviewed_plan_path + " has errors:\n" +
                        loaded.diagnostics.to_string();
            out.hint = "fix the plan, check it with pgphase plan, and rerun deploy";
            return std::nullopt;
        }
        return std::move(*loaded.plan);
    }
    out.plan_source = "converted";
    const planners::convert::ConvertResult converted =
        planners::convert::convert_sql(migration.path, migration.script, &before);
    out.plan_text = converted.yaml;
    if (converted.errors.has_errors()) {
        out.state = "failed";
        out.error = converted.errors.to_string();
        out.hint = "fix the SQL (it does not parse), or write the reviewed plan at " +
                   migration.reviewed_plan_path;
        return std::nullopt;
    }
    // A statement lint reports at error level that the conversion keeps as SQL runs as
    // written: the plan is no safer there than the file.
    for (const lint::Finding& finding : out.findings) {
        if (finding.level != lint::Level::error) {
            continue;
        }
        for (const auto& [first, last] : converted.kept_as_sql) {
            if (finding.mark.line >= first && finding.mark.line <= last) {
                out.state = "needs_review";
                out.error = "its conversion keeps line " + std::to_string(finding.mark.line) +
                            " as SQL, which lint reports (" + finding.rule + ": " +
                            finding.message + "): run as written, it is no safer than the file";
                out.hint = "write a plan that does it safely (or accept the risk in it), save "
                           "it as " +
                           migration.reviewed_plan_path + ", commit it and rerun deploy";
                return std::nullopt;
            }
        }
    }
    if (converted.to_fill > 0 || converted.to_confirm > 0) {
        out.state = "needs_review";
        out.error = "its conversion leaves " +
                    std::to_string(converted.to_fill + converted.to_confirm) +
                    " decision(s) to a person (# TODO / # CONFIRM in the plan)";
        out.hint = "review the plan printed here, fill in what it marks, save it as " +
                   migration.reviewed_plan_path + ", commit it and rerun deploy";
        return std::nullopt;
    }
    planners::LoadResult loaded = planners::load_plan_text(converted.yaml, migration.path);
    if (!loaded.plan) {
        out.state = "failed";
        out.error = "its conversion does not load:\n" + loaded.diagnostics.to_string();
        out.hint = "write the reviewed plan at " + migration.reviewed_plan_path;
        return std::nullopt;
    }
    return std::move(*loaded.plan);
}

class Deployer {
public:
    Deployer(Dsn dsn, DeployOptions options, DeployReport& report)
        : m_dsn(std::move(dsn))
        , m_options(std::move(options))
        , m_report(report) {
        if (!m_options.sleep) {
            m_options.sleep = [](planners::Milliseconds ms) { std::this_thread::sleep_for(ms); };
        }
    }

    void run(const deploy::MigrationFolder& folder);

private:
    // Each returns false when the deploy stops at this migration.
    bool direct(const deploy::FolderMigration& migration, const deploy::DirectApply& apply,
                DeployedMigration& out);
    // `started`: the state store's record of a converted migration an earlier run started.
    bool phased(const deploy::FolderMigration& migration, const lint::SchemaModel& before,
                std::optional<MigrationRecord> started, DeployedMigration& out);
    void stop(const std::string& result, int code, const std::string& message) {
        m_report.result = result;
        m_report.exit_code = code;
        m_report.message = message;
    }

    // The state store's record of a migration; none before the store exists (a dry run on a
    // database pgphase has not touched yet).
    std::optional<MigrationRecord> find_record(const std::string& name) {
        if (!m_store_exists) {
            m_store_exists = !m_session
                                  ->query("SELECT pg_catalog.to_regclass($1)",
                                          {quote_ident(m_options.state_schema) + ".migrations"})
                                  .text(0, 0)
                                  .empty();
        }
        return m_store_exists ? m_store->find(name) : std::nullopt;
    }

    Dsn m_dsn;
    DeployOptions m_options;
    bool m_store_exists = false;
    DeployReport& m_report;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<StateStore> m_store;
    std::unique_ptr<History> m_history;
    std::optional<planners::Catalog> m_catalog;
};

void Deployer::run(const deploy::MigrationFolder& folder) {
    m_session = std::make_unique<Session>(m_dsn, "pgphase deploy");
    if (!m_options.dry_run) {
        lock_deploy(*m_session);
    }
    m_history = std::make_unique<History>(folder, m_dsn, m_options.state_schema);
    m_report.history = m_history->table();
    m_store = std::make_unique<StateStore>(*m_session, m_options.state_schema, m_options.actor);

    std::vector<deploy::HistoryRow> rows;
    std::vector<std::vector<std::string>> digests;
    m_session->transaction([&](Transaction& tx) {
        rows = m_history->read(tx);
        for (const auto& migration : folder.migrations) {
            digests.push_back(m_history->digests(tx, migration.script));
        }
    });
    const deploy::HistoryCheckResult checked = deploy::check_history(
        folder, rows,
        [&](const std::string& stored, std::size_t index) {
            return m_history->matches(stored, digests[index]);
        },
        m_history->table());
    for (const auto& migration : folder.migrations) {
        DeployedMigration entry;
        entry.name = migration.name;
        entry.path = migration.path;
        entry.reviewed_plan_path = migration.reviewed_plan_path;
        entry.state = "waiting";
        m_report.migrations.push_back(std::move(entry));
    }
    for (std::size_t index : checked.applied) {
        m_report.migrations[index].state = "already_applied";
    }
    if (!checked.problems.empty()) {
        m_report.problems = checked.problems;
        m_report.exit_code = checked.exit_code();
        m_report.result = "refused";
        m_report.message = "the history in " + m_history->table() +
                           " does not fit the folder; nothing was changed";
        return;
    }
    if (!m_options.dry_run) {
        m_store->ensure();
    }
    m_catalog = read_catalog(*m_session, m_history->target_schema());
    lint::LintOptions lint_options;
    lint_options.prisma = m_history->prisma();
    // Deploy runs every statement under lock_timeout itself.
    lint_options.disabled.insert("missing-lock-timeout");
    lint::Linter linter(lint_options, *m_catalog);
    for (std::size_t index : checked.pending) {
        const deploy::FolderMigration& migration = folder.migrations[index];
        DeployedMigration& out = m_report.migrations[index];
        if (m_options.stop != nullptr && m_options.stop->load()) {
            stop("stopped", 0,
                 "stopped before migration \"" + migration.name + "\": another target failed");
            break;
        }
        const lint::SchemaModel before = linter.schema();
        const std::size_t seen = linter.result().findings.size();
        const lint::SourceFile file(migration.path, migration.script);
        linter.lint(file, m_history->prisma());
        const auto& all = linter.result().findings;
        out.findings.assign(all.begin() + static_cast<std::ptrdiff_t>(seen), all.end());
        const deploy::DirectApply apply = deploy::direct_apply(file);
        const std::string errors = error_findings(out.findings);
        const auto start = std::chrono::steady_clock::now();
        bool go_on = true;
        try {
            // A migration started in phases by an earlier run stays in phases.
            std::optional<MigrationRecord> started;
            if (!migration.has_reviewed_plan) {
                started = find_record(planners::convert::migration_name_for(migration.path));
            }
            if (errors.empty() && apply.possible && !started && !migration.has_reviewed_plan) {
                go_on = direct(migration, apply, out);
            } else {
                out.reason = !errors.empty()   ? "lint: " + errors
                             : !apply.possible ? apply.reason
                             : migration.has_reviewed_plan
                                 ? "a reviewed plan is kept beside it"
                                 : "an earlier deploy started it in phases";
                go_on = phased(migration, before, std::move(started), out);
            }
        } catch (const Stopped& e) {
            out.state = "stopped";
            out.error = e.what();
            out.hint = e.hint();
            stop("stopped", 0,
                 "migration \"" + migration.name + "\" stopped: another target failed");
            go_on = false;
        } catch (const CommandError& e) {
            out.state = "failed";
            out.error = e.what();
            out.hint = e.hint();
            stop("failed", static_cast<int>(e.code()),
                 "migration \"" + migration.name + "\" failed");
            go_on = false;
        } catch (const DatabaseError& e) {
            out.state = "failed";
            out.error = std::string(e.what()) +
                        (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")") +
                        (e.statement().empty() ? "" : "\n  statement: " + e.statement());
            out.hint = e.connection_lost()
                           ? "the connection was lost; rerun deploy to continue where it stopped"
                           : "fix the cause and rerun deploy";
            stop("failed", static_cast<int>(ExitCode::failed),
                 "migration \"" + migration.name + "\" failed");
            go_on = false;
        }
        out.seconds = seconds_since(start);
        log::info("deploy.migration", {{"migration", migration.name},
                                       {"state", out.state},
                                       {"mode", out.mode},
                                       {"seconds", std::to_string(out.seconds)}});
        if (!go_on) {
            break;
        }
    }
}

bool Deployer::direct(const deploy::FolderMigration& migration, const deploy::DirectApply& apply,
                      DeployedMigration& out) {
    out.mode = "direct";
    for (const lint::Statement* statement : apply.statements) {
        out.statements.emplace_back(statement->text);
    }
    if (m_options.dry_run) {
        out.state = "pending";
        return true;
    }
    LockRetry retry{migration.name,
                    "migration \"" + migration.name + "\"",
                    {},
                    planners::default_lock_schedule(),
                    m_options.sleep,
                    "a long transaction or another DDL holds a conflicting lock (look in "
                    "pg_stat_activity and pg_locks); the migration was rolled back as a whole: "
                    "rerun deploy later",
                    {}};
    const lint::Statement* current = nullptr;
    try {
        with_lock_retries(*m_session, retry, [&](Transaction& tx) {
            if (m_history->prisma()) {
                // As Prisma runs a script: in the URL's ?schema= (created when missing), which
                // is the whole search_path.
                const std::string schema = m_history->target_schema();
                prisma::create_schema_if_missing(tx, schema);
                tx.execute("SET LOCAL search_path TO " + quote_ident(schema));
            }
            for (const lint::Statement* statement : apply.statements) {
                current = statement;
                tx.execute(std::string(statement->text));
            }
            current = nullptr;
            m_history->record(tx, migration, "direct");
        });
    } catch (const DatabaseError& e) {
        if (current == nullptr) {
            throw;
        }
        throw CommandError(ExitCode::failed,
                           "migration \"" + migration.name + "\" failed at " + migration.path +
                               ":" + std::to_string(current->mark.line) + ":" +
                               std::to_string(current->mark.column) + ": " + e.what() +
                               (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")") +
                               "\n  statement: " + std::string(current->text),
                           "its transaction was rolled back, so none of it was applied; fix the "
                           "cause (or the database) and rerun deploy");
    }
    out.state = "applied";
    out.phase_after = "applied";
    return true;
}

bool Deployer::phased(const deploy::FolderMigration& migration, const lint::SchemaModel& before,
                      std::optional<MigrationRecord> started, DeployedMigration& out) {
    out.mode = "phased";
    std::optional<MigrationRecord> record = std::move(started);
    std::optional<planners::Plan> plan;
    if (record) {
        const std::string& name = record->name;
        // The plan it started with: a conversion made again now could differ (the catalog
        // has moved), and the checksum guard would refuse it.
        planners::LoadResult loaded = planners::load_plan_text(record->plan_text, migration.path);
        if (!loaded.plan) {
            throw CommandError(ExitCode::bad_input,
                               "the plan migration \"" + name +
                                   "\" started with no longer loads:\n" +
                                   loaded.diagnostics.to_string(),
                               "finish it by hand (pgphase status " + name + ")");
        }
        plan = std::move(*loaded.plan);
        out.plan_source = "converted";
    } else {
        plan = plan_for(migration, before, out);
        if (!plan) {
            stop(
                out.state == "needs_review" ? "needs_review" : "failed",
                out.state == "needs_review" ? static_cast<int>(ExitCode::refused)
                                            : static_cast<int>(ExitCode::bad_input),
                "migration \"" + migration.name + "\" " +
                    (out.state == "needs_review" ? "needs a reviewed plan" : "has no usable plan"));
            return false;
        }
        record = find_record(plan->name);
    }
    // A converted plan takes the Prisma URL's ?schema=; a reviewed one says its own.
    if (!migration.has_reviewed_plan && m_history->target_schema() != "public") {
        plan->schema = m_history->target_schema();
    }
    out.pgphase_migration = plan->name;
    out.phase_before = record ? phase_name(record->phase) : "";
    if (m_options.dry_run) {
        planners::PlanningOptions planning;
        planning.state_schema = m_options.state_schema;
        planning.version_schema = true;
        const planners::PlannedMigration planned =
            planners::plan_migration(*plan, &*m_catalog, planning);
        if (out.plan_text.empty()) {
            out.plan_text = plan->source_text;
        }
        out.steps_text = planned.diagnostics.to_string() +
                         planners::render(*plan, planned, planners::RenderFormat::text);
        out.state = "pending";
        return true;
    }
    if (record && (record->phase == MigrationPhase::rolled_back ||
                   record->phase == MigrationPhase::rolling_back)) {
        throw CommandError(ExitCode::refused,
                           "migration \"" + plan->name + "\" (for " + migration.name + ") is " +
                               phase_name(record->phase) + "; deploy does not restart it",
                           "finish or restart it on purpose (pgphase rollback / start), or "
                           "write a new migration");
    }
    RunOptions run;
    run.state_schema = m_options.state_schema;
    run.actor = m_options.actor;
    run.command = "deploy";
    run.sleep = m_options.sleep;
    run.progress_bar = m_options.progress_bar;
    run.min_soak = m_options.min_soak;
    run.force = m_options.force;
    run.on_completed = [&](Transaction& tx) { m_history->record(tx, migration, "phased"); };
    run.stop = m_options.stop;
    run.on_progress = m_options.on_progress;
    if (record && record->phase == MigrationPhase::completed) {
        // Completed by hand (pgphase advance) without the history row: record it now.
        m_session->transaction(
            [&](Transaction& tx) { m_history->record(tx, migration, "phased"); });
        out.state = "completed";
        out.phase_after = "completed";
        return true;
    }
    // Contract only what an earlier run brought to the boundary: a run that died mid-backfill
    // never reported it, so the app rollout cannot have waited for it.
    const bool at_boundary =
        record && (record->phase == MigrationPhase::backfilled ||
                   record->phase == MigrationPhase::contracting ||
                   (record->phase == MigrationPhase::expanded &&
                    !planners::has_phase(planners::steps_from_json(record->steps),
                                         planners::Phase::backfill)));
    {
        MigrationRunner runner(*plan, m_dsn, run); // its session and lock end with this block
        const AdvanceReport expanded = runner.advance(AdvanceTarget::backfill);
        out.steps_run += expanded.work.steps_run;
        out.rows_backfilled += expanded.work.rows_backfilled;
    }
    record = find_record(plan->name);
    const std::vector<planners::Step> steps = planners::steps_from_json(record->steps);
    out.phase_after = phase_name(record->phase);
    const bool contract_seen = planners::has_phase(steps, planners::Phase::contract);
    const bool complete_now =
        !contract_seen || (m_options.target == DeployTarget::complete && at_boundary);
    if (!complete_now) {
        if (m_options.target == DeployTarget::expand) {
            out.state = "expanded";
            stop("waiting_for_rollout", 0,
                 "migration \"" + migration.name +
                     "\" is expanded: roll out the app version that uses its new shape, then "
                     "run deploy to contract it and apply what follows");
        } else {
            out.state = "waiting_for_rollout";
            stop("waiting_for_rollout", static_cast<int>(ExitCode::refused),
                 "migration \"" + migration.name +
                     "\" is expanded and backfilled; its contract changes what the old app "
                     "version uses: roll out the new app version, then rerun deploy");
        }
        m_store->event(plan->name, "deploy.waiting_for_rollout", {{"folder", migration.name}});
        return false;
    }
    if (contract_seen && !m_options.force) {
        const planners::Milliseconds required =
            std::max(plan->settings.contract_after, m_options.min_soak);
        const SoakDecision soak =
            decide_soak(record->expanded_at_ms.value_or(0), m_store->now_ms(), required);
        if (!soak.allowed) {
            out.state = "waiting_for_soak";
            out.allowed_at = format_utc(soak.allowed_at_ms);
            stop("waiting_for_soak", static_cast<int>(ExitCode::refused),
                 "migration \"" + migration.name + "\" may be contracted from " + out.allowed_at +
                     " (in " + format_remaining(soak.remaining) +
                     "); rerun deploy then, or pass --force");
            return false;
        }
    }
    if (!contract_seen) {
        run.min_soak = planners::Milliseconds(0); // nothing the soak would protect
    }
    MigrationRunner completer(*plan, m_dsn, run);
    const AdvanceReport completed = completer.advance(AdvanceTarget::complete);
    out.steps_run += completed.work.steps_run;
    out.rows_backfilled += completed.work.rows_backfilled;
    out.phase_after = completed.to;
    out.state = "completed";
    return true;
}

} // namespace

const char* target_name(DeployTarget target) {
    return target == DeployTarget::expand ? "expand" : "complete";
}

DeployReport deploy(const std::string& dir, const Dsn& dsn, const DeployOptions& options) {
    const deploy::MigrationFolder folder = deploy::read_folder(dir);
    if (!folder.errors.empty()) {
        std::string message;
        for (const std::string& error : folder.errors) {
            message += (message.empty() ? "" : "\n") + error;
        }
        throw CommandError(ExitCode::bad_input, message,
                           "give a Prisma migrations folder (<name>/migration.sql) or a folder "
                           "of *.sql files");
    }
    DeployReport report;
    report.dir = folder.dir;
    report.kind = folder.kind;
    report.target = options.target;
    report.dry_run = options.dry_run;
    report.notes = folder.notes;
    Deployer(dsn, options, report).run(folder);
    return report;
}

} // namespace pgphase::orchestrator
