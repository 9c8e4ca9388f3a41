// `status --fleet FILE` against real databases: every target in one table (text and JSON), a
// target that cannot be reached shown as such with the others still shown, no password in any
// output, and a fleet file with errors refused before any database is touched.
#include "tests/integration/support.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace pgphase::testing {
namespace {

class FleetStatus : public DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        second = "fleet_b_" + std::to_string(getpid()); // test databases' names are full
        db().execute("CREATE DATABASE \"" + second + "\"");
        db().execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)");
        db().execute("INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 10) i");
    }

    void TearDown() override {
        if (!second.empty()) {
            db().execute("DROP DATABASE IF EXISTS \"" + second + "\" WITH (FORCE)");
        }
        DatabaseTest::TearDown();
    }

    std::string write_fleet(const std::string& text) {
        const std::string path = dir() + "/fleet.yaml";
        std::ofstream(path) << text;
        return path;
    }

    std::string second;
};

TEST_F(FleetStatus, EveryTargetInOneTableAndAnUnreachableOneWithoutItsPassword) {
    const std::string plan = write_plan("note", R"yaml(
name: add_note
changes:
  - add_column: {table: users, column: {name: note, type: text}}
)yaml");
    ASSERT_EQ(pgphase({"start", plan}).exit_code, 0);
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the test's own process, before pgphase runs
    setenv("FLEET_TEST_B_URL", with_database(dsn(), second).c_str(), 1);
    const std::string fleet = write_fleet("targets:\n"
                                          "  - {name: shard-a, dsn: \"" +
                                          dsn() +
                                          "\"}\n"
                                          "  - {name: shard-b, dsn: \"${FLEET_TEST_B_URL}\"}\n"
                                          "  - {name: down, dsn: "
                                          "\"postgresql://nobody:hunter2@127.0.0.1:1/none\"}\n");

    const CommandResult text = run_pgphase({"status", "--fleet", fleet}, dir());
    EXPECT_EQ(text.exit_code, 1) << "a target could not be read: " << text.out << text.err;
    EXPECT_NE(text.out.find("3 targets, 1 unreachable"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("shard-a  add_note"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("expanded"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("shard-b  (none)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("down     (unreachable)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("unreachable: down: could not connect"), std::string::npos) << text.out;
    EXPECT_EQ((text.out + text.err).find("hunter2"), std::string::npos) << text.out << text.err;

    const CommandResult json = run_pgphase({"status", "--fleet", fleet, "--json"}, dir());
    EXPECT_EQ(json.exit_code, 1);
    const nlohmann::json report = nlohmann::json::parse(json.out);
    ASSERT_EQ(report["targets"].size(), 3U) << json.out;
    EXPECT_EQ(report["targets"][0]["name"], "shard-a");
    EXPECT_EQ(report["targets"][0]["migrations"][0]["name"], "add_note");
    EXPECT_EQ(report["targets"][0]["migrations"][0]["phase"], "expanded");
    EXPECT_EQ(report["targets"][1]["reachable"], true);
    EXPECT_TRUE(report["targets"][1]["migrations"].empty());
    EXPECT_EQ(report["targets"][2]["reachable"], false);
    EXPECT_NE(report["targets"][2]["error"].get<std::string>().find("could not connect"),
              std::string::npos);
    EXPECT_EQ(json.out.find("hunter2"), std::string::npos);
}

TEST_F(FleetStatus, AFleetFileWithErrorsIsRefusedBeforeAnyDatabaseIsTouched) {
    const std::string fleet = write_fleet("targets:\n"
                                          "  - {name: a, dsn: \"${FLEET_TEST_UNSET_VARIABLE}\"}\n"
                                          "paralel: 2\n");
    const CommandResult refused = run_pgphase({"status", "--fleet", fleet}, dir());
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("fleet.yaml:2:20: error: environment variable "
                               "FLEET_TEST_UNSET_VARIABLE (in the dsn of target \"a\") is not set"),
              std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("fleet.yaml:3:1: error: unknown key \"paralel\""), std::string::npos)
        << refused.err;

    const std::string good = write_fleet("targets: [{name: a, dsn: \"" + dsn() + "\"}]\n");
    const CommandResult both = run_pgphase({"status", "--fleet", good, "--dsn", dsn()}, dir());
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_NE(both.err.find("--fleet and --dsn are both given"), std::string::npos) << both.err;
}

} // namespace
} // namespace pgphase::testing
