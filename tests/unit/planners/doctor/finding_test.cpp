// Doctor's findings as users read them, and the pure decisions behind them.
#include "planners/doctor/finding.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::doctor {
namespace {

TEST(DoctorFinding, AnObjectIsInUseOnlyWhenAStepNamesItWhole) {
    const std::vector<std::string> steps = {
        R"([{"sql":["ALTER TABLE \"public\".\"t\" ADD COLUMN \"_pgphase_new_email_address\""]}])"};
    EXPECT_TRUE(in_use(steps, "_pgphase_new_email_address"));
    EXPECT_FALSE(in_use(steps, "_pgphase_new_email")) << "a prefix of another name";
    EXPECT_FALSE(in_use(steps, "new_email_address")) << "a suffix of another name";
    EXPECT_FALSE(in_use({}, "_pgphase_new_email_address"));
}

TEST(DoctorFinding, ASequenceIsReportedPastTheThresholdOfItsColumnsRange) {
    SequenceFill fill{
        {"public", "users_id_seq"}, "integer", "public.users.id", 1'500'000'000, 2'147'483'647};
    EXPECT_FALSE(sequence_near_max(fill, 0.75)) << "69.8% used";
    fill.last_value = 1'700'000'000;
    const auto finding = sequence_near_max(fill, 0.75);
    ASSERT_TRUE(finding);
    EXPECT_EQ(finding->check, "sequence-near-max");
    EXPECT_EQ(finding->message, R"(sequence "public"."users_id_seq" (of public.users.id) has used )"
                                "79.2% of its integer range: 1700000000 of 2147483647");
    EXPECT_NE(finding->hint.find("change public.users.id to bigint"), std::string::npos);
    EXPECT_FALSE(finding->fixable());
    fill.last_value = 0;
    EXPECT_FALSE(sequence_near_max(fill, 0.75)) << "never used";
}

TEST(DoctorFinding, OnlyAnInterruptedRollbackIsFinishedByFix) {
    const Finding rollback = interrupted_migration("m", "rolling_back", "2026-12-06 10:00:00 UTC");
    EXPECT_EQ(rollback.repair.kind, RepairKind::finish_rollback);
    EXPECT_EQ(repair_text(rollback.repair),
              R"(finish the rollback of migration "m" (pgphase rollback, with the plan stored )"
              "when it started)");
    const Finding contract = interrupted_migration("m", "contracting", "2026-12-06 10:00:00 UTC");
    EXPECT_FALSE(contract.fixable()) << "finishing a contract is a person's decision";
    EXPECT_NE(contract.hint.find("rerun pgphase complete"), std::string::npos);
}

TEST(DoctorFinding, AnExpiredTombstoneIsPurgedByFixWithWhatPurgeRuns) {
    const Finding finding = expired_tombstone(
        {7,
         R"(column "public"."orders"."_pgphase_dropped_1a2b3c4d_status")",
         "status",
         "retire_status",
         "2026-12-01T10:00:00Z",
         "1.5 MB",
         QualifiedName{"public", "orders"},
         {R"(ALTER TABLE "public"."orders" DROP COLUMN IF EXISTS "_pgphase_dropped_1a2b3c4d_status")"}});
    EXPECT_EQ(finding.check, "expired-tombstone");
    EXPECT_TRUE(finding.fixable());
    EXPECT_EQ(finding.repair.kind, RepairKind::purge_tombstone);
    EXPECT_EQ(finding.repair.tombstone, 7);
    EXPECT_NE(finding.message.find("(was \"status\", kept by migration \"retire_status\") expired "
                                   "2026-12-01T10:00:00Z; it holds 1.5 MB"),
              std::string::npos)
        << finding.message;
    EXPECT_EQ(repair_text(finding.repair), finding.repair.sql.at(0));
}

TEST(DoctorFinding, RepairsQuoteEveryName) {
    const Finding index = invalid_index({"Sales", "idx \"x\""}, "\"Sales\".orders", 20'480);
    EXPECT_EQ(index.repair.kind, RepairKind::outside_transaction);
    EXPECT_EQ(repair_text(index.repair),
              R"(DROP INDEX CONCURRENTLY IF EXISTS "Sales"."idx ""x""")");
    EXPECT_NE(index.message.find("(20.0 kB)"), std::string::npos) << index.message;
    const Finding column = orphaned_shadow_column({"public", "select"}, "_pgphase_new_a");
    EXPECT_EQ(repair_text(column.repair),
              R"(ALTER TABLE "public"."select" DROP COLUMN IF EXISTS "_pgphase_new_a")");
    EXPECT_EQ(column.repair.table, (QualifiedName{"public", "select"}));
}

TEST(DoctorFinding, TextSaysHowManyFixRepairsAndGithubEscapesItsCommands) {
    const std::vector<Finding> findings = {
        invalid_index({"public", "i"}, "public.t", 8192),
        unvalidated_constraint({"public", "t"}, "c", "CHECK"),
    };
    const std::string text = render_text(findings, "postgresql://app@db/app");
    EXPECT_NE(text.find("error: [invalid-index] index \"public\".\"i\" on public.t is INVALID"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\n  --fix: DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"i\"\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("warning: [unvalidated-constraint] CHECK constraint \"c\""),
              std::string::npos);
    EXPECT_NE(text.find("postgresql://app@db/app: 2 findings, 1 of them repaired by --fix"),
              std::string::npos)
        << text;
    EXPECT_EQ(render_text({}, "db"), "doctor: db: nothing found\n");

    const std::string github = render_github(findings);
    EXPECT_EQ(github.substr(0, github.find('\n'))
                  .find("::error title=pgphase doctor%3A "
                        "invalid-index::"),
              0U)
        << github;
    EXPECT_NE(github.find("%0A"), std::string::npos) << "the hint on its own line";
    const auto json = render_json(findings, "db");
    EXPECT_EQ(json.at("findings").at(0).at("fix"),
              R"(DROP INDEX CONCURRENTLY IF EXISTS "public"."i")");
    EXPECT_FALSE(json.at("findings").at(1).contains("fix"));
    EXPECT_EQ(json.at("findings").at(1).at("severity"), "warning");
}

} // namespace
} // namespace pgphase::planners::doctor
