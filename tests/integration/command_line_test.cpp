// The binary's own options, run as a user would: --version and a bare invocation.
#include "tests/integration/support.hpp"

#include <filesystem>
#include <regex>
#include <unistd.h>

namespace pgphase::testing {
namespace {

// A directory of this test process's own for the command's output files (ctest runs tests in
// parallel processes).
std::string own_dir() {
    const auto dir = std::filesystem::path(::testing::TempDir()) /
                     ("pgphase_command_line_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir.string();
}

TEST(CommandLine, VersionPrintsTheVersionAndExitsZero) {
    const CommandResult result = run_pgphase({"--version"}, own_dir());
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(std::regex_match(result.out, std::regex(R"(pgphase [0-9]+\.[0-9]+\.[0-9]+\n)")))
        << result.out;
}

TEST(CommandLine, NoCommandIsBadInputAndSaysWhatIsMissing) {
    const CommandResult result = run_pgphase({}, own_dir());
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_NE((result.out + result.err).find("subcommand"), std::string::npos)
        << result.out << result.err;
}

} // namespace
} // namespace pgphase::testing
