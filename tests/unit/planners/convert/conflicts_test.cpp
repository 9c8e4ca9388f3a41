// Statement groups that map one by one but not together stay SQL, in order, so the plan runs.
#include "convert_test_support.hpp"

#include <algorithm>

namespace pgphase::planners::convert {
namespace {

bool all_sql(const std::vector<Change>& changes) {
    return std::all_of(changes.begin(), changes.end(), [](const Change& change) {
        return std::holds_alternative<RawSql>(change.operation);
    });
}

TEST(ConvertConflicts, ConstraintDroppedAndAddedUnderTheSameNameStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE "Post" DROP CONSTRAINT "Post_userId_fkey";
ALTER TABLE "Post" ADD CONSTRAINT "Post_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE;)");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(all_sql(changes));
}

TEST(ConvertConflicts, TableRenamedAndUsedAgainStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE "App" RENAME TO "Resource";
ALTER TABLE "Resource" RENAME CONSTRAINT "App_pkey" TO "Resource_pkey";
ALTER TABLE "Other" RENAME COLUMN "a" TO "b";)");
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_TRUE(std::holds_alternative<RawSql>(changes[0].operation));
    EXPECT_TRUE(std::holds_alternative<RawSql>(changes[1].operation));
    EXPECT_TRUE(std::holds_alternative<RenameColumn>(changes[2].operation));
}

TEST(ConvertConflicts, ColumnRenamedAndChangedAgainStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE users RENAME COLUMN email_verified TO email_verified_old;
ALTER TABLE users ALTER COLUMN email_verified_old DROP NOT NULL;)");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(all_sql(changes));
}

TEST(ConvertConflicts, UpdateFillingAColumnTheFileAddsStaysSql) {
    const auto changes = changes_of(R"(
ALTER TABLE "Asset" ADD COLUMN "valueJson" JSONB;
UPDATE "Asset" SET "valueJson" = to_jsonb("value");)");
    ASSERT_EQ(changes.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<AddColumn>(changes[0].operation));
    EXPECT_TRUE(std::holds_alternative<RawSql>(changes[1].operation));
}

TEST(ConvertConflicts, ExplicitTransactionIsLeftOutWithANote) {
    const Converted converted = convert_and_load("BEGIN;\nALTER TABLE t RENAME a TO b;\nCOMMIT;\n");
    ASSERT_TRUE(converted.loaded.plan.has_value()) << converted.loaded.diagnostics.to_string();
    only<RenameColumn>(converted.loaded.plan->changes);
    EXPECT_NE(converted.result.yaml.find("# line 1: `BEGIN` left out"), std::string::npos)
        << converted.result.yaml;
}

} // namespace
} // namespace pgphase::planners::convert
