// A log Context puts its fields at the front of every line its thread logs, nests, and ends
// with its scope; another thread's lines are untouched.
#include "orchestrator/log/log.hpp"

#include <gtest/gtest.h>
#include <thread>

namespace pgphase::orchestrator::log {
namespace {

TEST(LogContext, FieldsLastForTheScopeNestAndStayOnTheirThread) {
    EXPECT_TRUE(context().empty());
    {
        const Context target(Fields{{"target", "shard-01"}});
        EXPECT_EQ(context(), (Fields{{"target", "shard-01"}}));
        {
            const Context inner(Fields{{"worker", "1"}});
            EXPECT_EQ(context(), (Fields{{"target", "shard-01"}, {"worker", "1"}}));
        }
        EXPECT_EQ(context(), (Fields{{"target", "shard-01"}}));
        std::thread other([] { EXPECT_TRUE(context().empty()); });
        other.join();
        // A pool thread takes the caller's fields explicitly.
        std::thread pool([fields = context()] {
            const Context scope(fields);
            EXPECT_EQ(context(), (Fields{{"target", "shard-01"}}));
        });
        pool.join();
    }
    EXPECT_TRUE(context().empty());
}

} // namespace
} // namespace pgphase::orchestrator::log
