// Backfill progress from checkpoints: by page for a page walk, by key position for one integer
// key, weighted over workers, never above 1.
#include "orchestrator/engine/backfill.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator {
namespace {

nlohmann::json at(const std::string& value) {
    return nlohmann::json::array({value});
}

Checkpoint pages(std::int64_t first, std::int64_t end, std::optional<std::int64_t> next) {
    Checkpoint checkpoint;
    checkpoint.start_key = at(std::to_string(first));
    checkpoint.end_key = at(std::to_string(end));
    if (next) {
        checkpoint.last_key = at(std::to_string(*next));
    }
    checkpoint.bounds = nlohmann::json{{"pages", true}};
    return checkpoint;
}

TEST(BackfillProgress, APageWalkCountsPagesAndIsDoneWhenItsEndIsCleared) {
    const std::vector<KeyColumn> no_key;
    EXPECT_DOUBLE_EQ(progress(no_key, pages(0, 100, std::nullopt)), 0.0);
    EXPECT_DOUBLE_EQ(progress(no_key, pages(0, 100, 25)), 0.25);
    EXPECT_DOUBLE_EQ(progress(no_key, pages(50, 100, 75)), 0.5);
    Checkpoint done = pages(0, 100, 100);
    done.end_key.reset();
    EXPECT_DOUBLE_EQ(progress(no_key, done), 1.0);
}

TEST(BackfillProgress, WorkersAreWeightedByTheirEstimatedRows) {
    const std::vector<KeyColumn> no_key;
    Checkpoint first = pages(0, 50, 50);
    first.end_key.reset();
    first.total_estimate = 300;
    Checkpoint second = pages(50, 100, 50);
    second.total_estimate = 100;
    EXPECT_DOUBLE_EQ(progress(no_key, std::vector<Checkpoint>{first, second}), 0.75);
    first.total_estimate = 0;
    second.total_estimate = 0;
    EXPECT_DOUBLE_EQ(progress(no_key, std::vector<Checkpoint>{first, second}), 0.5);
}

TEST(BackfillProgress, AnIntegerKeyWorkerCountsWithinItsOwnBounds) {
    const std::vector<KeyColumn> key = {{"id", "bigint"}};
    Checkpoint worker;
    worker.start_key = at("1");
    worker.end_key = at("1000");
    worker.bounds = nlohmann::json{{"after", "500"}, {"through", nullptr}};
    worker.last_key = at("750");
    EXPECT_DOUBLE_EQ(progress(key, worker), 0.5);
    worker.bounds = nlohmann::json{{"after", nullptr}, {"through", "500"}};
    worker.last_key = at("2000"); // a key beyond the pinned end never shows more than 100%
    EXPECT_DOUBLE_EQ(progress(key, worker), 1.0);
}

TEST(BackfillProgress, ACompositeKeyCountsRowsAndStaysBelowOneUntilDone) {
    const std::vector<KeyColumn> key = {{"order_id", "bigint"}, {"line", "text"}};
    Checkpoint worker;
    worker.start_key = nlohmann::json::array({"1", "a"});
    worker.end_key = nlohmann::json::array({"9", "z"});
    worker.last_key = nlohmann::json::array({"9", "y"});
    worker.total_estimate = 100;
    worker.rows_done = 150;
    EXPECT_DOUBLE_EQ(progress(key, worker), 0.99);
}

} // namespace
} // namespace pgphase::orchestrator
