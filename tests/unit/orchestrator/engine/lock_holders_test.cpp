// How the holders of a table's locks are told in the retry log and the exit-4 error, and when
// they are an autovacuum that pgphase may act on.
#include "orchestrator/engine/lock_holders.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator {
namespace {

LockHolder report(const std::string& pid) {
    return {pid,
            "nightly report",
            "AccessShareLock",
            "idle in transaction",
            3.2,
            "SELECT count(*) FROM users"};
}

LockHolder autovacuum(const std::string& pid, bool wraparound = false) {
    LockHolder holder{pid,      "",   "ShareUpdateExclusiveLock",
                      "active", 40.1, "autovacuum: VACUUM ANALYZE public.users"};
    holder.autovacuum = true;
    holder.wraparound = wraparound;
    return holder;
}

TEST(LockHolders, EachIsToldWithItsApplicationModeStateAgeAndQuery) {
    EXPECT_EQ(describe({report("4242"), autovacuum("77")}),
              "pid 4242 \"nightly report\" (AccessShareLock, idle in transaction for 3.2 s): "
              "SELECT count(*) FROM users; pid 77 \"\" (ShareUpdateExclusiveLock, active for "
              "40.1 s): autovacuum: VACUUM ANALYZE public.users");
    EXPECT_EQ(describe({}), "");
}

TEST(LockHolders, OneThisRoleMayNotSeeSaysWhatWouldShowIt) {
    LockHolder hidden{"99", "", "ShareUpdateExclusiveLock", "", 0, "<insufficient privilege>"};
    hidden.visible = false;
    EXPECT_EQ(describe({hidden}), "pid 99 (ShareUpdateExclusiveLock; this role may not see what "
                                  "the session is: pg_read_all_stats would)");
}

TEST(LockHolders, PastThreeOnlyHowManyMore) {
    EXPECT_EQ(describe({report("1"), report("2"), report("3"), report("4"), report("5")})
                  .substr(describe({report("1"), report("2"), report("3")}).size()),
              "; and 2 more");
}

TEST(LockHolders, ANonWraparoundAutovacuumWithAtMostTheAppsPassingQueriesMayBeCancelled) {
    EXPECT_TRUE(blocked_by_cancellable_autovacuum({autovacuum("77")}));
    LockHolder passing = report("4242");
    passing.age_seconds = 0.2;
    EXPECT_TRUE(blocked_by_cancellable_autovacuum({autovacuum("77"), passing}));

    EXPECT_FALSE(blocked_by_cancellable_autovacuum({}));
    EXPECT_FALSE(blocked_by_cancellable_autovacuum({passing}));
    EXPECT_FALSE(blocked_by_cancellable_autovacuum({autovacuum("77", true)}));
    EXPECT_FALSE(blocked_by_cancellable_autovacuum({autovacuum("77"), autovacuum("78", true)}));
    LockHolder long_report = report("4243");
    long_report.age_seconds = 3.2;
    EXPECT_FALSE(blocked_by_cancellable_autovacuum({autovacuum("77"), long_report}));
    LockHolder hidden = passing;
    hidden.visible = false; // what a role that may not see it reads: not even its age
    EXPECT_FALSE(blocked_by_cancellable_autovacuum({autovacuum("77"), hidden}));
}

} // namespace
} // namespace pgphase::orchestrator
