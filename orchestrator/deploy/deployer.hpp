// `pgphase deploy DIR`: brings a database up to a migrations folder (Prisma's, or plain *.sql
// files). Checks the history first and refuses, changing nothing, when it does not fit the
// folder. Then each pending migration in order: one that lint finds safe is applied as
// written, in one transaction with its history row and under lock_timeout with retries; a
// risky one runs in phases (its reviewed plan, else its conversion) up to the app-rollout
// boundary, and is contracted by a later run once the soak guard allows. One deploy per
// database at a time (an advisory lock). docs/deploy.md describes it for users.
#pragma once

#include "orchestrator/engine/migration_runner.hpp"
#include "orchestrator/pg/dsn.hpp"
#include "planners/deploy/folder.hpp"
#include "planners/deploy/history_check.hpp"
#include "planners/lint/finding.hpp"
#include "planners/model/plan.hpp"

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgphase::orchestrator {

enum class DeployTarget { expand, complete };

struct DeployOptions {
    DeployTarget target = DeployTarget::complete;
    bool dry_run = false;
    planners::Milliseconds min_soak{0};
    bool force = false;
    std::string state_schema = "pgphase";
    std::string actor;
    bool progress_bar = false;
    std::function<void(planners::Milliseconds)> sleep; // default: really sleep
    // A fleet run's stop flag: once true, no further migration starts and a phased one stops
    // before its next step (result "stopped").
    const std::atomic<bool>* stop = nullptr;
    // A fleet run's live line (RunOptions::on_progress), for phased migrations.
    std::function<void(const RunProgress&)> on_progress;
};

// What became of one migration of the folder.
struct DeployedMigration { // NOLINT(bugprone-exception-escape): strings and vectors only
    std::string name;
    std::string path;
    // already_applied, applied, completed, expanded, waiting_for_rollout, waiting_for_soak,
    // needs_review, waiting (behind a migration that stopped), pending (dry run), failed.
    std::string state;
    std::string mode;   // "direct" (applied as written) or "phased"; "" when already applied
    std::string reason; // why phased: lint's errors, or what keeps it out of one transaction
    std::vector<planners::lint::Finding> findings;
    std::vector<std::string> statements; // direct, dry run: what it runs, in order
    std::string plan_source;             // phased: the reviewed plan's path, or "converted"
    std::string plan_text;               // phased, dry run or needs_review: the plan
    std::string steps_text;              // phased, dry run: the steps with their locks
    std::string reviewed_plan_path;      // where a reviewed plan belongs
    std::string pgphase_migration;       // phased: its name in the state store
    std::string phase_before;
    std::string phase_after;
    std::string allowed_at; // waiting_for_soak: from when complete is allowed (UTC)
    int steps_run = 0;
    std::int64_t rows_backfilled = 0;
    double seconds = 0;
    std::string error;
    std::string hint;
};

struct DeployReport { // NOLINT(bugprone-exception-escape)
    std::string dir;
    planners::deploy::FolderKind kind = planners::deploy::FolderKind::plain;
    std::string history; // the history table
    DeployTarget target = DeployTarget::complete;
    bool dry_run = false;
    std::vector<std::string> notes;
    std::vector<planners::deploy::HistoryProblem> problems;
    std::vector<DeployedMigration> migrations; // every migration of the folder, in order
    int exit_code = 0;
    // done, waiting_for_rollout, waiting_for_soak, needs_review, refused, failed, stopped
    std::string result = "done";
    std::string message; // what it stopped at, in one line
};

// Throws CommandError for bad input found before anything runs (an unreadable folder) and
// MigrationHeld for a deploy lock another pgphase holds; everything found later is in the
// report, with its exit code.
DeployReport deploy(const std::string& dir, const Dsn& dsn, const DeployOptions& options);

std::string deploy_text(const DeployReport& report);
nlohmann::json deploy_json(const DeployReport& report);

const char* target_name(DeployTarget target);

} // namespace pgphase::orchestrator
