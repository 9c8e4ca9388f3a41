// Which columns an undo statement drops.
#include "planners/sql/dropped_columns.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners {
namespace {

TEST(DroppedColumns, ReadsEveryDropColumnOfEveryAlterTable) {
    EXPECT_EQ(
        dropped_columns(R"(ALTER TABLE "public"."select" DROP COLUMN IF EXISTS "Mixed ""x""", )"
                        R"(ADD COLUMN y int; ALTER TABLE t DROP COLUMN z)"),
        (std::vector<DroppedColumn>{{{"public", "select"}, "Mixed \"x\""}, {{"", "t"}, "z"}}));
}

TEST(DroppedColumns, OtherStatementsAndBadTextDropNothing) {
    EXPECT_TRUE(dropped_columns(R"(DROP TRIGGER IF EXISTS "t" ON "public"."users")").empty());
    EXPECT_TRUE(dropped_columns("ALTER TABLE t ADD COLUMN a int").empty());
    EXPECT_TRUE(dropped_columns("ALTER TABLE t DROP COLUMN").empty());
}

} // namespace
} // namespace pgphase::planners
