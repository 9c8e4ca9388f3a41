// The lock schedule a plan's settings give every DDL transaction: the default (short lock waits,
// so an app query queued behind a waiting DDL waits little), lock_timeout and lock_retries as
// before, and lock_timeouts written out; bad schedules are refused at their position.
#include "planners/load/plan_loader.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace pgphase::planners {
namespace {

LoadResult load_settings(const std::string& settings) {
    return load_plan_text("name: m\nsettings:\n" + settings +
                              "changes:\n  - rename_column: {table: t, from: a, to: b}\n",
                          "plan.yaml");
}

std::vector<Milliseconds> repeated(std::size_t count, std::int64_t ms) {
    return std::vector<Milliseconds>(count, Milliseconds{ms});
}

std::vector<Milliseconds> joined(std::vector<Milliseconds> a, const std::vector<Milliseconds>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::string only_error(const LoadResult& result) {
    if (result.plan || result.diagnostics.all().size() != 1) {
        return "not exactly one error: " + result.diagnostics.to_string();
    }
    const Diagnostic& d = result.diagnostics.all()[0];
    return std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + ": " + d.message;
}

TEST(LockSchedule, TheDefaultWaitsAtMost80MsPerAttemptOverFortyAttempts) {
    const LoadResult result = load_plan_text("name: m\nchanges:\n"
                                             "  - rename_column: {table: t, from: a, to: b}\n",
                                             "plan.yaml");
    ASSERT_TRUE(result.plan) << result.diagnostics.to_string();
    EXPECT_EQ(result.plan->settings.lock_schedule, joined(repeated(20, 50), repeated(20, 80)));
    EXPECT_EQ(lock_schedule_text(result.plan->settings.lock_schedule), "50ms x20, 80ms x20");
    // The statements not retried attempt by attempt keep their single timeout.
    EXPECT_EQ(result.plan->settings.lock_timeout, Milliseconds{2'000});
}

TEST(LockSchedule, PausesDoubleFrom100MsUpTo5sAndSpanAboutThreeMinutes) {
    EXPECT_EQ(lock_retry_pause(1), Milliseconds{100});
    EXPECT_EQ(lock_retry_pause(2), Milliseconds{200});
    EXPECT_EQ(lock_retry_pause(6), Milliseconds{3'200});
    EXPECT_EQ(lock_retry_pause(7), Milliseconds{5'000});
    EXPECT_EQ(lock_retry_pause(1'000), Milliseconds{5'000});
    Milliseconds total{0};
    for (int attempt = 1; attempt < 40; ++attempt) {
        total += lock_retry_pause(attempt);
    }
    EXPECT_EQ(total, Milliseconds{171'300});
}

TEST(LockSchedule, ALockTimeoutIsEveryAttemptsTimeoutLockRetriesPlusOneTimes) {
    const LoadResult result = load_settings("  lock_timeout: 1s\n  lock_retries: 3\n");
    ASSERT_TRUE(result.plan) << result.diagnostics.to_string();
    EXPECT_EQ(result.plan->settings.lock_schedule, repeated(4, 1'000));

    const LoadResult alone = load_settings("  lock_timeout: 500ms\n");
    ASSERT_TRUE(alone.plan) << alone.diagnostics.to_string();
    EXPECT_EQ(alone.plan->settings.lock_schedule, repeated(21, 500));
}

TEST(LockSchedule, LockRetriesAloneCutsOrPadsTheDefault) {
    const LoadResult cut = load_settings("  lock_retries: 2\n");
    ASSERT_TRUE(cut.plan) << cut.diagnostics.to_string();
    EXPECT_EQ(cut.plan->settings.lock_schedule, repeated(3, 50));

    const LoadResult padded = load_settings("  lock_retries: 44\n");
    ASSERT_TRUE(padded.plan) << padded.diagnostics.to_string();
    EXPECT_EQ(padded.plan->settings.lock_schedule, joined(repeated(20, 50), repeated(25, 80)));

    const LoadResult none = load_settings("  lock_retries: 0\n");
    ASSERT_TRUE(none.plan) << none.diagnostics.to_string();
    EXPECT_EQ(none.plan->settings.lock_schedule, repeated(1, 50));
}

TEST(LockSchedule, LockTimeoutsIsTakenAsWritten) {
    const LoadResult result = load_settings("  lock_timeouts: [20ms, 50ms x 3, 100msx2, 1s]\n");
    ASSERT_TRUE(result.plan) << result.diagnostics.to_string();
    EXPECT_EQ(result.plan->settings.lock_schedule,
              joined(joined(joined(repeated(1, 20), repeated(3, 50)), repeated(2, 100)),
                     repeated(1, 1'000)));
    EXPECT_EQ(lock_schedule_text(result.plan->settings.lock_schedule),
              "20ms x1, 50ms x3, 100ms x2, 1000ms x1");
}

TEST(LockSchedule, BadSchedulesAreRefusedAtTheirPosition) {
    EXPECT_EQ(only_error(load_settings("  lock_timeouts: [50ms, 0ms]\n")),
              "3:25: \"0ms\" in \"lock_timeouts\" is not a duration of more than 0");
    EXPECT_EQ(only_error(load_settings("  lock_timeouts: [50ms x]\n")),
              "3:19: \"50ms x\" in \"lock_timeouts\" is not \"DURATION x COUNT\"");
    EXPECT_EQ(only_error(load_settings("  lock_timeouts: [50ms x 0]\n")),
              "3:19: \"50ms x 0\" in \"lock_timeouts\" is not \"DURATION x COUNT\"");
    EXPECT_EQ(only_error(load_settings("  lock_timeouts: [fast]\n")),
              "3:19: \"fast\" in \"lock_timeouts\" is not a duration of more than 0");
    EXPECT_EQ(only_error(load_settings("  lock_timeouts: []\n")),
              "3:18: \"lock_timeouts\" must be a list of at least one duration");
    EXPECT_EQ(only_error(load_settings("  lock_timeouts: 50ms\n")),
              "3:18: \"lock_timeouts\" must be a list of at least one duration");
    EXPECT_EQ(only_error(load_settings("  lock_timeouts: [1s x 99999]\n")),
              "3:19: \"lock_timeouts\" has more than 10001 attempts");
    EXPECT_EQ(only_error(load_settings("  lock_timeout: 1s\n  lock_timeouts: [50ms]\n")),
              "4:18: \"lock_timeouts\" cannot be set with \"lock_timeout\"");
    EXPECT_EQ(only_error(load_settings("  lock_retries: 3\n  lock_timeouts: [50ms]\n")),
              "4:18: \"lock_timeouts\" cannot be set with \"lock_retries\"");
}

} // namespace
} // namespace pgphase::planners
