// Fleet files: targets, ${VAR} in DSNs, waves and parallel, and every refusal at its position
// without the DSN in the message.
#include "planners/fleet/fleet_file.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>

namespace pgphase::planners::fleet {
namespace {

Environment environment(std::map<std::string, std::string> values = {}) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        const auto it = values.find(name);
        if (it == values.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

FleetLoad load(const std::string& text, const Environment& env = environment()) {
    return load_fleet_text(text, "fleet.yaml", env);
}

// The one error's "file:line:col: message", with the hint after " | ".
std::string only_error(const FleetLoad& loaded) {
    EXPECT_FALSE(loaded.fleet.has_value());
    const auto& all = loaded.diagnostics.all();
    EXPECT_EQ(all.size(), 1U) << loaded.diagnostics.to_string();
    if (all.empty()) {
        return {};
    }
    const Diagnostic& d = all.front();
    return d.mark.file + ":" + std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) +
           ": " + d.message + " | " + d.hint;
}

TEST(FleetFile, ReadsTargetsWavesAndParallelAndExpandsTheEnvironment) {
    const FleetLoad loaded =
        load(R"yaml(
targets:
  - {name: shard-01, dsn: "${SHARD_01_URL}"}
  - {name: shard-02, dsn: "postgresql://app@10.0.0.12/app"}
  - {name: shard-03, dsn: "host=${HOST} dbname=app_${DB}"}
waves: [[shard-02], rest]
parallel: 2
)yaml",
             environment(
                 {{"SHARD_01_URL", "postgresql://a:secret@h1/app"}, {"HOST", "h3"}, {"DB", "3"}}));
    ASSERT_TRUE(loaded.fleet.has_value()) << loaded.diagnostics.to_string();
    const Fleet& fleet = *loaded.fleet;
    ASSERT_EQ(fleet.targets.size(), 3U);
    EXPECT_EQ(fleet.targets[0].name, "shard-01");
    EXPECT_EQ(fleet.targets[0].dsn, "postgresql://a:secret@h1/app");
    EXPECT_EQ(fleet.targets[2].dsn, "host=h3 dbname=app_3");
    EXPECT_EQ(fleet.targets[1].mark.line, 4);
    EXPECT_EQ(fleet.waves, (std::vector<std::vector<std::size_t>>{{1}, {0, 2}}));
    EXPECT_EQ(fleet.parallel, 2);
}

TEST(FleetFile, WithoutWavesTheFirstTargetIsACanaryBeforeTheRest) {
    const FleetLoad three = load(R"yaml(
targets:
  - {name: a, dsn: "postgresql:///a"}
  - {name: b, dsn: "postgresql:///b"}
  - {name: c, dsn: "postgresql:///c"}
)yaml");
    ASSERT_TRUE(three.fleet.has_value()) << three.diagnostics.to_string();
    EXPECT_EQ(three.fleet->waves, (std::vector<std::vector<std::size_t>>{{0}, {1, 2}}));
    EXPECT_EQ(three.fleet->parallel, Fleet::default_parallel);
    const FleetLoad one = load("targets: [{name: a, dsn: \"postgresql:///a\"}]");
    ASSERT_TRUE(one.fleet.has_value());
    EXPECT_EQ(one.fleet->waves, (std::vector<std::vector<std::size_t>>{{0}}));
}

TEST(FleetFile, AnUnsetVariableIsAnErrorAtTheDsnThatNeverShowsTheDsn) {
    const std::string error = only_error(load(R"yaml(
targets:
  - {name: a, dsn: "postgresql://app:hunter2@h/${DB_NAME}"}
)yaml"));
    EXPECT_EQ(error, "fleet.yaml:3:20: environment variable DB_NAME (in the dsn of target \"a\") "
                     "is not set | export DB_NAME before running pgphase, or write the "
                     "connection string in the fleet file");
    EXPECT_EQ(error.find("hunter2"), std::string::npos);
    EXPECT_NE(only_error(load("targets: [{name: a, dsn: \"x${OPEN\"}]")).find("with no \"}\""),
              std::string::npos);
}

TEST(FleetFile, UnknownKeysDuplicateNamesAndBadNamesAreRefusedWithTheirPositions) {
    EXPECT_EQ(only_error(load("targets: [{name: a, dsn: \"postgresql:///a\"}]\nparalel: 2\n")),
              "fleet.yaml:2:1: unknown key \"paralel\" in fleet file | did you mean \"parallel\"?");
    EXPECT_EQ(only_error(load(R"yaml(
targets:
  - {name: a, dsn: "postgresql:///a"}
  - {name: a, dsn: "postgresql:///b"}
)yaml")),
              "fleet.yaml:4:5: duplicate target name \"a\" | the first is at line 3; names must "
              "be unique");
    EXPECT_NE(only_error(load("targets: [{name: \"-x\", dsn: \"postgresql:///a\"}]"))
                  .find("bad target name \"-x\""),
              std::string::npos);
    EXPECT_NE(only_error(
                  load("targets: [{name: " + std::string(64, 'a') + ", dsn: \"postgresql:///a\"}]"))
                  .find("use 1 to 63 characters"),
              std::string::npos);
    EXPECT_NE(only_error(load("targets: []")).find("\"targets\" is empty"), std::string::npos);
    EXPECT_NE(only_error(load("waves: [rest]")).find("missing required field \"targets\""),
              std::string::npos);
    EXPECT_NE(only_error(load("targets: [{name: a, dsn: \"\"}]")).find("is empty"),
              std::string::npos);
    EXPECT_NE(only_error(load("targets: [{name: a, dsn: \"postgresql:///a\"}]\nparallel: 0"))
                  .find("must be at least 1"),
              std::string::npos);
}

TEST(FleetFile, WavesNameKnownTargetsOnceAndCoverThemAll) {
    const std::string targets = R"yaml(
targets:
  - {name: shard-01, dsn: "postgresql:///a"}
  - {name: shard-02, dsn: "postgresql:///b"}
)yaml";
    EXPECT_EQ(only_error(load(targets + "waves: [[shard-1], rest]\n")),
              "fleet.yaml:5:10: no target named \"shard-1\" in this fleet | did you mean "
              "\"shard-01\"?");
    EXPECT_EQ(only_error(load(targets + "waves: [[shard-01], [shard-01, shard-02]]\n")),
              "fleet.yaml:5:22: target \"shard-01\" is in two waves | it is named at line 5 "
              "too; a target runs in one wave");
    EXPECT_EQ(only_error(load(targets + "waves: [[shard-01]]\n")),
              "fleet.yaml:5:8: targets in no wave: shard-02 | add them to a wave, or end "
              "\"waves\" with rest");
    EXPECT_NE(only_error(load(targets + "waves: [[shard-01], rest, rest]\n")).find("twice"),
              std::string::npos);
    EXPECT_NE(only_error(load(targets + "waves: [[], rest]\n")).find("non-empty list"),
              std::string::npos);
    const FleetLoad all_named = load(targets + "waves: [[shard-02], [shard-01], rest]\n");
    ASSERT_TRUE(all_named.fleet.has_value()) << all_named.diagnostics.to_string();
    EXPECT_EQ(all_named.fleet->waves, (std::vector<std::vector<std::size_t>>{{1}, {0}}))
        << "a rest with nothing left is no wave";
}

TEST(FleetFile, InvalidYamlAndAMissingFileAreErrorsWithAPosition) {
    EXPECT_NE(only_error(load("targets: [")).find("fleet.yaml:"), std::string::npos);
    const FleetLoad missing = load_fleet_file("/nonexistent/fleet.yaml", environment());
    EXPECT_FALSE(missing.fleet.has_value());
    EXPECT_TRUE(missing.diagnostics.has_errors());
}

} // namespace
} // namespace pgphase::planners::fleet
