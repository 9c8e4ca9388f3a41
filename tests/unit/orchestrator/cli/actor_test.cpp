// Who a command is recorded as: --actor, then $PGPHASE_ACTOR, then the CI job, then user@host.
#include "orchestrator/cli/common.hpp"

#include <gtest/gtest.h>
#include <map>

namespace pgphase::orchestrator::cli {
namespace {

std::function<std::string(const char*)> environment(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) {
        auto it = vars.find(name);
        return it == vars.end() ? std::string() : it->second;
    };
}

TEST(Actor, TheOptionWinsOverEverything) {
    EXPECT_EQ(resolve_actor("release-bot", environment({{"PGPHASE_ACTOR", "env"}}), "u@h"),
              "release-bot");
}

TEST(Actor, PgphaseActorWinsOverTheCiJob) {
    EXPECT_EQ(
        resolve_actor("", environment({{"PGPHASE_ACTOR", "deploy #42"}, {"GITHUB_RUN_ID", "123"}}),
                      "u@h"),
        "deploy #42");
}

TEST(Actor, AGithubJobIsNamedByWhoTriggeredItAndItsRunId) {
    EXPECT_EQ(resolve_actor(
                  "", environment({{"GITHUB_ACTOR", "octocat"}, {"GITHUB_RUN_ID", "987"}}), "u@h"),
              "GITHUB_ACTOR=octocat GITHUB_RUN_ID=987");
    EXPECT_EQ(resolve_actor("", environment({{"CI_JOB_ID", "55"}}), "u@h"), "CI_JOB_ID=55");
}

TEST(Actor, OutsideCiItIsUserAtHost) {
    EXPECT_EQ(resolve_actor("", environment({}), "alice@laptop"), "alice@laptop");
}

} // namespace
} // namespace pgphase::orchestrator::cli
