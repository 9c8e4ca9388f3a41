// docs/getting-started.md's walkthrough, run as written: its `sh run` blocks in order, with
// pgphase on the PATH and DATABASE_URL at this test's database, so the first thing a new user
// copies cannot rot.
#include "tests/integration/support.hpp"
#include "tests/support/doc_blocks.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace pgphase::testing {
namespace {

class GettingStarted : public DatabaseTest {};

TEST_F(GettingStarted, TheWalkthroughRunsAsWritten) {
    std::vector<std::string> blocks;
    for (const auto* id : {"walk-table", "walk-plan", "walk-start", "walk-apps", "walk-complete"}) {
        blocks.push_back(doc_block("docs/getting-started.md", id).text);
    }
    const auto dir = std::filesystem::path(write_plan("unused", "")).parent_path() / "walk";
    std::filesystem::create_directories(dir);
    const std::string bin = std::filesystem::path(PGPHASE_BINARY).parent_path().string();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        std::ofstream(dir / "block.sh") << blocks[i];
        const std::string command = "cd '" + dir.string() + "' && PATH='" + bin +
                                    "':\"$PATH\" DATABASE_URL='" + dsn() +
                                    "' bash -e block.sh >block.out 2>&1";
        const int status = std::system(command.c_str());
        std::ifstream out(dir / "block.out");
        std::stringstream text;
        text << out.rdbuf();
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "block " << i + 1 << ":\n"
                                                                   << blocks[i] << "printed:\n"
                                                                   << text.str();
        if (i == 3) {
            EXPECT_NE(text.str().find("new app"), std::string::npos) << text.str();
        }
    }
    EXPECT_EQ(column_names("accounts"),
              (std::vector<std::string>{"id", "plan", "display_name", "tier"}));
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts"), "5002");
    EXPECT_EQ(scalar("SELECT tier FROM accounts WHERE display_name = 'old app'"), "free");
    EXPECT_EQ(scalar("SELECT tier FROM accounts WHERE display_name = 'new app'"), "pro");
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts WHERE tier = 'pro'"), "1667");
}

} // namespace
} // namespace pgphase::testing
