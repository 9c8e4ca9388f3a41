// Batch sizing toward the target batch time, within bounds.
#include "orchestrator/engine/batch_sizer.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator {
namespace {

using planners::Milliseconds;

TEST(BatchSizer, GrowsByAtMostHalfWhenBatchesAreFast) {
    BatchSizer sizer(1000, 100000, Milliseconds(200));
    sizer.record(1000, Milliseconds(10));
    EXPECT_EQ(sizer.size(), 1500);
    sizer.record(1500, Milliseconds(0));
    EXPECT_EQ(sizer.size(), 2250);
}

TEST(BatchSizer, ShrinksTowardTheTargetWhenBatchesAreSlowButAtMostByHalf) {
    BatchSizer sizer(1000, 100000, Milliseconds(200));
    sizer.record(1000, Milliseconds(250));
    EXPECT_EQ(sizer.size(), 800);
    sizer.record(800, Milliseconds(10'000));
    EXPECT_EQ(sizer.size(), 400);
}

TEST(BatchSizer, NeverLeavesItsBounds) {
    BatchSizer sizer(50, 60, Milliseconds(200));
    sizer.record(50, Milliseconds(1));
    EXPECT_EQ(sizer.size(), 60);
    for (int i = 0; i < 20; ++i) {
        sizer.shrink();
    }
    EXPECT_EQ(sizer.size(), BatchSizer::min_size);
    BatchSizer clamped(1'000'000, 500, Milliseconds(200));
    EXPECT_EQ(clamped.size(), 500);
}

TEST(BatchSizer, AShortLastBatchSaysNothingAboutSpeed) {
    BatchSizer sizer(1000, 100000, Milliseconds(200));
    sizer.record(3, Milliseconds(1));
    EXPECT_EQ(sizer.size(), 1000);
}

TEST(BatchSizer, RuntimeTuningClampsTheCurrentSize) {
    BatchSizer sizer(5000, 100000, Milliseconds(200));
    sizer.set_limits(1000, Milliseconds(50));
    EXPECT_EQ(sizer.size(), 1000);
    EXPECT_EQ(sizer.target(), Milliseconds(50));
}

} // namespace
} // namespace pgphase::orchestrator
