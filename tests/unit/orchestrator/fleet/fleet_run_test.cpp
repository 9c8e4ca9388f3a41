// A fleet run's words: the live line of a target and the summary, as text and JSON, from runs
// made up here (the integration tests run real ones).
#include "orchestrator/fleet/fleet_run.hpp"
#include "orchestrator/fleet/live_board.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator::fleet {
namespace {

planners::fleet::Fleet three_targets() {
    planners::fleet::Fleet fleet;
    fleet.source_file = "fleet.yaml";
    for (const char* name : {"eu-1", "eu-2", "us-1"}) {
        fleet.targets.push_back({name, "postgresql://app:hunter2@db/app", {}});
    }
    fleet.waves = {{0}, {1, 2}};
    return fleet;
}

std::vector<TargetRun> runs() {
    TargetRun canary = target_run(TargetState::done, 0, "");
    canary.reached = true;
    canary.before = "";
    canary.after = "completed";
    canary.rows = 1200;
    canary.duration_ms = 2350;
    TargetRun held = target_run(TargetState::failed, 4,
                                "step 1/4 \"add column\" gave up after 3 attempts\nhint: rerun");
    held.reached = true;
    held.before = "expanding";
    held.after = "expanding";
    held.duration_ms = 900;
    TargetRun waiting = target_run(TargetState::not_started, 0, "not started: eu-2 failed");
    return {canary, held, waiting};
}

TEST(FleetRunText, OneRowPerTargetThenEachErrorInFull) {
    planners::Plan plan;
    plan.name = "rename_users_email";
    FleetRunOptions options;
    const std::string text = fleet_run_text(three_targets(), plan, options, runs());
    EXPECT_EQ(text,
              "advance rename_users_email --to complete on fleet fleet.yaml: 1 of 3 targets "
              "done, exit 4\n"
              "TARGET  WAVE  PHASE                     TIME  ROWS  RESULT           ERROR\n"
              "eu-1    1     not started -> completed  2.4s  1200  done\n"
              "eu-2    2     expanding -> expanding    0.9s  0     failed (exit 4)  step 1/4 "
              "\"add column\" gave up after 3 attempts\n"
              "us-1    2     - -> -                    -     -     not started      not started: "
              "eu-2 failed\n"
              "\n"
              "eu-2: step 1/4 \"add column\" gave up after 3 attempts\nhint: rerun\n");
    EXPECT_EQ(text.find("hunter2"), std::string::npos);
}

TEST(FleetRunText, JsonHasTheSameData) {
    planners::Plan plan;
    plan.name = "rename_users_email";
    FleetRunOptions options;
    options.to = AdvanceTarget::backfill;
    const nlohmann::json json = fleet_run_json(three_targets(), plan, options, runs());
    EXPECT_EQ(json["exit_code"], 4);
    EXPECT_EQ(json["to"], "backfill");
    EXPECT_EQ(json["migration"], "rename_users_email");
    ASSERT_EQ(json["targets"].size(), 3U);
    EXPECT_EQ(json["targets"][0]["phase_before"], nullptr);
    EXPECT_EQ(json["targets"][0]["phase_after"], "completed");
    EXPECT_EQ(json["targets"][0]["rows"], 1200);
    EXPECT_EQ(json["targets"][1]["wave"], 2);
    EXPECT_EQ(json["targets"][1]["result"], "failed");
    EXPECT_EQ(json["targets"][1]["exit_code"], 4);
    EXPECT_EQ(json["targets"][2]["result"], "not started");
    EXPECT_EQ(json.dump().find("hunter2"), std::string::npos);
}

TEST(FleetRunText, ALiveLineShowsThePhaseTheStepAndABackfillsShare) {
    EXPECT_EQ(progress_line({"expand", 1, 4, "add column b", -1, 0}),
              "expand step 1/4 add column b");
    EXPECT_EQ(progress_line({"backfill", 2, 4, "copy a into b", 0.4251, 4251}),
              "backfill step 2/4 42.5% 4251 rows copy a into b");
}

TEST(FleetLiveBoard, AHeadlineWithTheCountsThenALinePerRunningTargetCutToTheWidth) {
    using State = BoardTarget::State;
    const std::vector<BoardTarget> targets = {
        {State::finished, "done (completed)"},
        {State::running, "backfill step 2/4 42.5% 4251 rows copy users.email into email_address"},
        {State::waiting, ""}};
    EXPECT_EQ(
        board_lines(three_targets(), targets, 60),
        (std::vector<std::string>{"fleet fleet.yaml: 1 running, 1 done, 0 not done, 1 waiting",
                                  "  eu-2  backfill step 2/4 42.5% 4251 rows copy users.email i"}));
}

} // namespace
} // namespace pgphase::orchestrator::fleet
