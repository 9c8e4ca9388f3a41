// How `pgphase history` renders the event log: one line per event with when, who and which
// command; JSON with a null command for events written before state store v3.
#include "orchestrator/engine/history.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator {
namespace {

EventRecord event(std::string name, std::string actor, std::string command,
                  nlohmann::json detail = nlohmann::json::object()) {
    EventRecord e;
    e.id = 7;
    e.migration = "rename_users_email";
    e.at = "2026-11-25T12:44:06.112Z";
    e.actor = std::move(actor);
    e.command = std::move(command);
    e.event = std::move(name);
    e.detail = std::move(detail);
    return e;
}

TEST(History, TextShowsWhenWhatWhoAndWhichCommandPerLine) {
    const std::string text = history_text(
        {event("phase.expanded", "GITHUB_ACTOR=alice GITHUB_RUN_ID=7712", "advance"),
         event("soak.forced", "oncall-bob", "complete", {{"required", "contract_after: 7d"}})});
    EXPECT_EQ(text, "2026-11-25T12:44:06.112Z  rename_users_email  phase.expanded  by "
                    "GITHUB_ACTOR=alice GITHUB_RUN_ID=7712 (advance)\n"
                    "2026-11-25T12:44:06.112Z  rename_users_email  soak.forced  by oncall-bob "
                    "(complete)  {\"required\":\"contract_after: 7d\"}\n");
}

TEST(History, EventsFromBeforeVersion3HaveNoCommand) {
    const auto json = history_json({event("phase.expanded", "alice", "")});
    ASSERT_EQ(json.size(), 1U);
    EXPECT_TRUE(json[0]["command"].is_null());
    EXPECT_EQ(json[0]["actor"], "alice");
    EXPECT_EQ(history_text({event("phase.expanded", "alice", "")}),
              "2026-11-25T12:44:06.112Z  rename_users_email  phase.expanded  by alice\n");
}

TEST(History, AnEmptyLogSaysSo) {
    EXPECT_EQ(history_text({}), "no events recorded\n");
}

} // namespace
} // namespace pgphase::orchestrator
