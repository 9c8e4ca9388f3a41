// The pgphase command line: parses arguments (CLI11), runs one command, maps every outcome to
// the documented exit codes. main() only calls run().
#pragma once

#include "orchestrator/cli/common.hpp"
#include "orchestrator/cli/convert_command.hpp"
#include "orchestrator/cli/deploy_command.hpp"
#include "orchestrator/cli/doctor_command.hpp"
#include "orchestrator/cli/fleet_command.hpp"
#include "orchestrator/cli/lint_command.hpp"
#include "orchestrator/cli/purge_command.hpp"
#include "orchestrator/cli/serve_command.hpp"
#include "orchestrator/cli/undo_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace pgphase::orchestrator::cli {

// The options of start, backfill, complete, rollback and advance.
struct PhaseArgs {
    std::int64_t max_batches = 0;
    std::string min_soak; // a duration; "" = the plan's contract_after alone
    bool force = false;
    std::string to = "complete";
    std::string prisma_migration; // "" = the plan's prisma_migration, if any
    std::string fleet;            // advance, rollback: a fleet file, in place of --dsn
    std::string format = "text";  // with --fleet: the summary as text or json
};

// Every command and option of the pgphase binary: the CLI11 app and the values it fills in.
// Parsing runs nothing, so a test can check that a command line the docs show is one pgphase
// accepts (tests/unit/docs). Neither copyable nor movable: the app points into it.
struct CommandLine {
    CommandLine();
    CommandLine(const CommandLine&) = delete;
    CommandLine(CommandLine&&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;
    CommandLine& operator=(CommandLine&&) = delete;
    ~CommandLine() = default;

    CLI::App app{"pgphase: zero-downtime PostgreSQL migrations (expand, backfill, contract)"};
    Common common;
    std::string file;
    std::string format = "text";
    std::string status_name;
    bool status_as_json = false;
    std::string status_fleet; // --fleet FILE: every target's status, in place of --dsn
    std::string plan_fleet;   // --fleet FILE: the plan against every target's catalog
    PhaseArgs phase_args;
    std::string history_name;
    bool history_as_json = false;
    bool history_steps = false;
    int verify_sessions = 2;                // verify --sessions N
    std::string verify_whole_table = "10s"; // verify --whole-table-timeout DURATION
    LintArgs lint_args;
    ConvertArgs convert_args;
    DeployArgs deploy_args;
    ServeArgs serve_args;
    DoctorArgs doctor_args;
    PurgeArgs purge_args;
    UndoArgs undo_args;
    std::string control_name; // pause, resume, tune
    std::int64_t tune_rows_per_second = -1;
    std::int64_t tune_batch_size = -1;
    std::string tune_batch_time;

    CLI::App* plan = nullptr;
    std::vector<CLI::App*> phases; // start, backfill, complete, rollback, advance
    CLI::App* status = nullptr;
    CLI::App* history = nullptr;
    CLI::App* lint = nullptr;
    CLI::App* convert = nullptr;
    CLI::App* deploy = nullptr;
    CLI::App* serve = nullptr;
    CLI::App* doctor = nullptr;
    CLI::App* purge = nullptr;
    CLI::App* undo = nullptr;
    CLI::App* verify = nullptr;
    CLI::App* pause = nullptr;
    CLI::App* resume = nullptr;
    CLI::App* tune = nullptr;
};

int run(int argc, char** argv);

} // namespace pgphase::orchestrator::cli
