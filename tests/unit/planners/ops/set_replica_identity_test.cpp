// set_replica_identity: one ALTER TABLE at contract under ACCESS EXCLUSIVE, nothing before it;
// USING INDEX checked the way PostgreSQL checks it, against the catalog and earlier changes.
#include "planners/ops/registry.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

std::string errors(const PlannedMigration& planned) {
    std::string out;
    for (const auto& d : planned.diagnostics.all()) {
        out += std::to_string(d.mark.line) + ": " + d.message + " | " + d.hint + "\n";
    }
    return out;
}

TEST(SetReplicaIdentity, SetsItAtContractMetadataOnly) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_replica_identity: {table: orders, identity: full}
  - set_replica_identity: {table: users, identity: index, index: users_pkey}
  - set_replica_identity: {table: events, identity: nothing}
  - set_replica_identity: {table: events, identity: default}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    ASSERT_EQ(planned.steps.size(), 4U);
    const std::vector<std::string> expected = {
        R"(ALTER TABLE "public"."orders" REPLICA IDENTITY FULL)",
        R"(ALTER TABLE "public"."users" REPLICA IDENTITY USING INDEX "users_pkey")",
        R"(ALTER TABLE "public"."events" REPLICA IDENTITY NOTHING)",
        R"(ALTER TABLE "public"."events" REPLICA IDENTITY DEFAULT)"};
    for (std::size_t i = 0; i < planned.steps.size(); ++i) {
        const Step& step = planned.steps[i];
        EXPECT_EQ(step.phase, Phase::contract);
        EXPECT_EQ(step.lock, LockLevel::access_exclusive);
        EXPECT_TRUE(step.transactional);
        EXPECT_TRUE(step.undo.empty());
        EXPECT_EQ(step.sql, std::vector<std::string>{expected[i]});
    }
    EXPECT_EQ(planned.steps[1].summary,
              "set the replica identity of users to USING INDEX users_pkey");
}

TEST(SetReplicaIdentity, RefusesAnIndexPostgreSqlWouldRefuse) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_replica_identity: {table: events, identity: index, index: events_amount_idx}
  - set_replica_identity: {table: events, identity: index, index: events_amount_key}
  - set_replica_identity: {table: users, identity: index, index: users_pkye}
  - create_index: {table: users, name: users_name_key, columns: [name], unique: true}
  - set_replica_identity: {table: users, identity: index, index: users_name_key}
  - create_index: {table: users, name: users_email_part, columns: [email], unique: true, where: "id > 0"}
  - set_replica_identity: {table: users, identity: index, index: users_email_part}
)yaml");
    const std::string hint = "use a unique, non-partial index on NOT NULL columns (e.g. the one "
                             "a unique constraint on them makes), or identity: full";
    EXPECT_EQ(
        errors(planned),
        R"(4: index "events_amount_idx" of table "events" cannot be the replica identity: it is not unique | )" +
            hint + "\n" +
            R"(5: index "events_amount_key" of table "events" cannot be the replica identity: its column "amount" may be NULL | )" +
            hint + "\n" +
            R"(6: index "users_pkye" of table "users" does not exist | did you mean "users_pkey"?)" +
            "\n" +
            R"(8: index "users_name_key" of table "users" cannot be the replica identity: its column "name" may be NULL | )" +
            hint + "\n" +
            R"(10: index "users_email_part" of table "users" cannot be the replica identity: it is partial (has a WHERE) | )" +
            hint + "\n");
}

TEST(SetReplicaIdentity, AcceptsAnIndexAnEarlierChangeBuildsOnAColumnMadeNotNullEarlier) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_not_null: {table: users, column: name}
  - create_index: {table: users, name: users_name_key, columns: [name], unique: true}
  - set_replica_identity: {table: users, identity: index, index: users_name_key}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

TEST(SetReplicaIdentity, LoaderRefusesABadIdentityAndAMisplacedIndex) {
    const auto message = [](const std::string& change) {
        const LoadResult result =
            load_plan_text("name: a\nchanges:\n  - " + change + "\n", "p.yaml");
        return result.diagnostics.all().empty()
                   ? std::string("(none)")
                   : result.diagnostics.all()[0].message + " | " + result.diagnostics.all()[0].hint;
    };
    EXPECT_EQ(
        message("set_replica_identity: {table: t, identity: ful}"),
        R"("identity" in set_replica_identity must be default, full, nothing or index, not "ful" | did you mean "full"?)");
    EXPECT_EQ(
        message("set_replica_identity: {table: t, identity: index}"),
        R"(set_replica_identity with identity: index needs "index" | name the unique index, e.g. index: users_email_key)");
    EXPECT_EQ(
        message("set_replica_identity: {table: t, identity: full, index: i}"),
        R"("index" in set_replica_identity is only for identity: index | remove it, or write identity: index)");
}

TEST(SetReplicaIdentity, ItsChecksumTextNamesTableIdentityAndIndex) {
    const LoadResult a = load_plan_text(
        "name: a\nchanges:\n  - set_replica_identity: {table: t, identity: index, index: i}\n",
        "p.yaml");
    const LoadResult b = load_plan_text(
        "name: a\nchanges:\n  - set_replica_identity: {table: t, identity: index, index: j}\n",
        "p.yaml");
    ASSERT_TRUE(a.plan && b.plan);
    EXPECT_NE(checksum(*a.plan), checksum(*b.plan));
}

} // namespace
} // namespace pgphase::planners
