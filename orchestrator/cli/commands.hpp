// The pgphase command line: parses arguments (CLI11), runs one command, maps every outcome to
// the documented exit codes. main() only calls run().
#pragma once

namespace pgphase::orchestrator::cli {

int run(int argc, char** argv);

} // namespace pgphase::orchestrator::cli
