// docs/getting-started.md's walkthrough, run as written: its `sh run` blocks in order, with
// pgphase on the PATH and DATABASE_URL at this test's database, so the first thing a new user
// copies cannot rot.
#include "tests/integration/support.hpp"
#include "tests/support/doc_blocks.hpp"

#include <filesystem>

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
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const CommandResult run = run_script(dir.string(), blocks[i]);
        ASSERT_EQ(run.exit_code, 0) << "block " << i + 1 << ":\n"
                                    << blocks[i] << "printed:\n"
                                    << run.out;
        if (i == 3) {
            EXPECT_NE(run.out.find("new app"), std::string::npos) << run.out;
        }
    }
    EXPECT_EQ(column_names("accounts"),
              (std::vector<std::string>{"id", "display_name", "plan", "tier"}))
        << "the renamed column keeps its place";
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts"), "5002");
    EXPECT_EQ(scalar("SELECT tier FROM accounts WHERE display_name = 'old app'"), "free");
    EXPECT_EQ(scalar("SELECT tier FROM accounts WHERE display_name = 'new app'"), "pro");
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts WHERE tier = 'pro'"), "1667");
}

} // namespace
} // namespace pgphase::testing
