// check_history: applied and pending migrations, and each refusal with its exit code.
#include "planners/deploy/history_check.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::deploy {
namespace {

MigrationFolder folder_of(const std::vector<std::string>& names,
                          FolderKind kind = FolderKind::prisma) {
    MigrationFolder folder;
    folder.kind = kind;
    folder.dir = "prisma/migrations";
    for (const std::string& name : names) {
        folder.migrations.push_back(
            {name, "prisma/migrations/" + name + "/migration.sql", "-- " + name, "", false});
    }
    return folder;
}

// A stored checksum matches when it is "sum-" + the migration's name.
HistoryCheckResult check(const MigrationFolder& folder, const std::vector<HistoryRow>& rows) {
    return check_history(
        folder, rows,
        [&](const std::string& stored, std::size_t index) {
            return stored == "sum-" + folder.migrations[index].name;
        },
        "\"public\".\"_prisma_migrations\"");
}

HistoryRow applied(const std::string& name) {
    return {name, "sum-" + name, "id-" + name, true, false};
}

TEST(DeployHistory, AppliedAndPendingFollowTheFolderOrder) {
    const auto result = check(folder_of({"1_a", "2_b", "3_c"}), {applied("1_a")});
    EXPECT_TRUE(result.problems.empty());
    EXPECT_EQ(result.applied, (std::vector<std::size_t>{0}));
    EXPECT_EQ(result.pending, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(result.exit_code(), 0);
}

TEST(DeployHistory, AChangedFileIsRefusedWithExit2) {
    HistoryRow row = applied("1_a");
    row.checksum = "sum-of-another-script";
    const auto result = check(folder_of({"1_a", "2_b"}), {row});
    ASSERT_EQ(result.problems.size(), 1U);
    EXPECT_EQ(result.problems[0].kind, HistoryProblemKind::modified);
    EXPECT_NE(result.problems[0].message.find("sum-of-another-script"), std::string::npos);
    EXPECT_EQ(result.exit_code(), 2);
}

TEST(DeployHistory, AnAppliedMigrationMissingFromTheFolderIsRefused) {
    const auto result = check(folder_of({"1_a", "3_c"}), {applied("1_a"), applied("2_b")});
    ASSERT_EQ(result.problems.size(), 1U);
    EXPECT_EQ(result.problems[0].kind, HistoryProblemKind::missing);
    EXPECT_EQ(result.problems[0].name, "2_b");
    EXPECT_EQ(result.exit_code(), 2);
}

TEST(DeployHistory, APendingMigrationBeforeAnAppliedOneIsRefused) {
    const auto result =
        check(folder_of({"1_a", "2_b", "3_c", "4_d"}), {applied("1_a"), applied("3_c")});
    ASSERT_EQ(result.problems.size(), 1U);
    EXPECT_EQ(result.problems[0].kind, HistoryProblemKind::out_of_order);
    EXPECT_EQ(result.problems[0].name, "2_b");
    EXPECT_EQ(result.pending, (std::vector<std::size_t>{3}));
    EXPECT_EQ(result.exit_code(), 2);
}

TEST(DeployHistory, AFailedPrismaAttemptIsRefusedWithExit3AndTheResolveCommand) {
    HistoryRow failed = applied("2_b");
    failed.finished = false;
    const auto result = check(folder_of({"1_a", "2_b"}), {applied("1_a"), failed});
    ASSERT_EQ(result.problems.size(), 1U);
    EXPECT_EQ(result.problems[0].kind, HistoryProblemKind::failed);
    EXPECT_NE(result.problems[0].hint.find("prisma migrate resolve --rolled-back \"2_b\""),
              std::string::npos);
    EXPECT_EQ(result.exit_code(), 3);
}

TEST(DeployHistory, FailedAndChangedTogetherExitWith2AndBothAreNamed) {
    HistoryRow failed = applied("2_b");
    failed.finished = false;
    HistoryRow changed = applied("1_a");
    changed.checksum = "other";
    const auto result = check(folder_of({"1_a", "2_b"}), {changed, failed});
    EXPECT_EQ(result.problems.size(), 2U);
    EXPECT_EQ(result.exit_code(), 2);
}

TEST(DeployHistory, RolledBackAttemptsAndFailuresFinishedLaterDoNotCount) {
    HistoryRow rolled_back = applied("2_b");
    rolled_back.finished = false;
    rolled_back.rolled_back = true;
    HistoryRow failed_then_finished = applied("1_a");
    failed_then_finished.finished = false;
    const auto result =
        check(folder_of({"1_a", "2_b"}), {failed_then_finished, applied("1_a"), rolled_back});
    EXPECT_TRUE(result.problems.empty());
    EXPECT_EQ(result.pending, (std::vector<std::size_t>{1}));
}

TEST(DeployHistory, AnyFinishedRowWithTheFilesChecksumCounts) {
    HistoryRow old = applied("1_a");
    old.checksum = "other";
    const auto result = check(folder_of({"1_a"}), {old, applied("1_a")});
    EXPECT_TRUE(result.problems.empty());
}

} // namespace
} // namespace pgphase::planners::deploy
