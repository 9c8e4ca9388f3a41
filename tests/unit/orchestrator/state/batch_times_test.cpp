// The batch times kept with a backfill's status: a Prometheus histogram's buckets, which must
// survive the trip through the state store's JSON and never shrink.
#include "orchestrator/state/store.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator {
namespace {

TEST(BatchTimes, EachBatchCountsInTheFirstBucketItFits) {
    BatchTimes times;
    times.record(0.01); // <= 0.05
    times.record(0.05); // <= 0.05: the bounds are inclusive, as Prometheus' le
    times.record(0.3);  // <= 0.5
    times.record(60);   // above every bound
    ASSERT_EQ(times.bucket_counts.size(), BatchTimes::bounds().size() + 1);
    EXPECT_EQ(times.bucket_counts[0], 2);
    EXPECT_EQ(times.bucket_counts[3], 1);
    EXPECT_EQ(times.bucket_counts.back(), 1);
    EXPECT_EQ(times.count, 4);
    EXPECT_DOUBLE_EQ(times.sum_seconds, 60.36);
}

TEST(BatchTimes, RoundTripsThroughJsonAndReadsGarbageAsEmpty) {
    BatchTimes times;
    times.record(0.2);
    times.record(3);
    const BatchTimes read = BatchTimes::from_json(times.to_json());
    EXPECT_EQ(read.bucket_counts, times.bucket_counts);
    EXPECT_EQ(read.count, 2);
    EXPECT_DOUBLE_EQ(read.sum_seconds, 3.2);

    EXPECT_EQ(BatchTimes::from_json(nlohmann::json::object()).count, 0);
    EXPECT_TRUE(BatchTimes::from_json({{"buckets", {1, 2}}}).bucket_counts.empty())
        << "a bucket list of the wrong length (other bounds) starts again";
    EXPECT_EQ(BatchTimes::from_json(nlohmann::json("text")).count, 0);
}

} // namespace
} // namespace pgphase::orchestrator
