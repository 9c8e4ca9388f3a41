// A server crash under a running backfill (docs/backfill.md#crashes): batches commit without
// waiting for their WAL, so the crash may take the last ones back, checkpoints and rows
// together; the backfill then writes them again. Every row ends written exactly once. Runs
// backfill_server_crash.sh on a durable throwaway server of its own (it crashes it).
#include "tests/integration/support.hpp"

#include <iostream>

namespace pgphase::testing {
namespace {

class BackfillServerCrash : public DatabaseTest {};

TEST_F(BackfillServerCrash, EveryRowIsWrittenOnceAfterAnImmediateShutdownAndRestart) {
    const std::string source = PGPHASE_SOURCE_DIR;
    const CommandResult run = run_script(
        dir(), "env -u PGPHASE_TEST_DSN -u PGPHASE_TEST_DSN_2 PGPHASE_PG_DURABLE=1 bash " +
                   shell_quote(source + "/scripts/with-postgres.sh") + " bash " +
                   shell_quote(source + "/tests/integration/backfill_server_crash.sh") + " " +
                   shell_quote(PGPHASE_BINARY) + " 2>&1");
    ASSERT_EQ(run.exit_code, 0) << run.out;
    EXPECT_NE(run.out.find("fsync=on synchronous_commit=on"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("server crashed at about"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("rows: 100000\n"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("unfilled: 0\n"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("written other than once: 0\n"), std::string::npos) << run.out;
    std::cout << run.out;
}

} // namespace
} // namespace pgphase::testing
