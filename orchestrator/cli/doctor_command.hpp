// `pgphase doctor`: registers the subcommand's options and runs orchestrator/doctor.
#pragma once

#include "orchestrator/cli/common.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace pgphase::orchestrator::cli {

struct DoctorArgs {
    std::string format = "text";
    bool fix = false;
    bool dry_run = false;
    std::string stalled_after = "1h";
    std::string migrations; // a folder: also compare the live schema with what it produces
};

CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& args);

// Prints the findings on stdout; exit 1 when something is found (with --fix: when something is
// left that it did not repair), 4 when a repair never got its lock, else 0 (docs/doctor.md).
int doctor_command(const Common& common, const DoctorArgs& args);

} // namespace pgphase::orchestrator::cli
