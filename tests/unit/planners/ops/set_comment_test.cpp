// set_comment: the new version's view shows the comment from expand on, the base table gets it
// at contract under SHARE UPDATE EXCLUSIVE; null removes it; table and column are checked.
#include "planners/ops/registry.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

namespace pgphase::planners {
namespace {

// Planned as the runner plans it: with the version schema, whose views carry the comments.
PlannedMigration plan_with_catalog(const std::string& yaml) {
    const Catalog catalog = testing::fixture_catalog();
    PlanningOptions options;
    options.version_schema = true;
    return plan_migration(testing::load(yaml), &catalog, options);
}

const Step* find_step(const PlannedMigration& planned, Phase phase, int change_index) {
    for (const auto& step : planned.steps) {
        if (step.phase == phase && step.change_index == change_index) {
            return &step;
        }
    }
    return nullptr;
}

TEST(SetComment, CommentsTheViewAtExpandAndTheBaseColumnAtContract) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_comment: {table: users, column: email, comment: "the user's login"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step* contract = find_step(planned, Phase::contract, 0);
    ASSERT_NE(contract, nullptr);
    EXPECT_EQ(contract->lock, LockLevel::share_update_exclusive);
    EXPECT_TRUE(contract->transactional);
    EXPECT_EQ(contract->summary, "set the comment of users.email");
    EXPECT_EQ(contract->sql,
              std::vector<std::string>{
                  R"(COMMENT ON COLUMN "public"."users"."email" IS 'the user''s login')"});
    EXPECT_EQ(find_step(planned, Phase::expand, 0), nullptr) << "the base table keeps its comment";
    const Step* views = find_step(planned, Phase::expand, -1);
    ASSERT_NE(views, nullptr);
    const auto view = std::find(views->sql.begin(), views->sql.end(),
                                "COMMENT ON COLUMN \"public_a\".\"users\".\"email\" IS "
                                "'the user''s login'");
    ASSERT_NE(view, views->sql.end()) << "the new version's view shows the comment";
    EXPECT_TRUE(views->sql[static_cast<std::size_t>(view - views->sql.begin()) - 1].starts_with(
        R"(CREATE VIEW "public_a"."users")"));
    EXPECT_EQ(views->undo, std::vector<std::string>{R"(DROP SCHEMA IF EXISTS "public_a" CASCADE)"})
        << "rollback drops the view's comment with the view";
}

TEST(SetComment, ATableCommentGoesOnTheViewAndNullRemovesAtContract) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_comment: {table: orders, comment: "one row per order"}
  - set_comment: {table: users, column: name, comment: null}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step* table = find_step(planned, Phase::contract, 0);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->sql, std::vector<std::string>{
                              R"(COMMENT ON TABLE "public"."orders" IS 'one row per order')"});
    const Step* removal = find_step(planned, Phase::contract, 1);
    ASSERT_NE(removal, nullptr);
    EXPECT_EQ(removal->summary, "remove the comment of users.name");
    EXPECT_EQ(removal->sql,
              std::vector<std::string>{R"(COMMENT ON COLUMN "public"."users"."name" IS NULL)"});
    const Step* views = find_step(planned, Phase::expand, -1);
    ASSERT_NE(views, nullptr);
    EXPECT_TRUE(testing::any_contains(
        views->sql, R"(COMMENT ON VIEW "public_a"."orders" IS 'one row per order')"));
    EXPECT_FALSE(testing::any_contains(views->sql, R"("users"."name" IS)"));
}

TEST(SetComment, AViewColumnTakesTheNameTheNewVersionSees) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_column: {table: users, from: name, to: full_name}
  - set_comment: {table: users, column: full_name, comment: "as printed"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    // The rename copies the column, so the views come at the end of the backfill.
    const Step* views = find_step(planned, Phase::backfill, -1);
    ASSERT_NE(views, nullptr);
    EXPECT_TRUE(testing::any_contains(
        views->sql, R"(COMMENT ON COLUMN "public_a"."users"."full_name" IS 'as printed')"));
}

TEST(SetComment, ReportsUnknownTablesAndColumnsWithASuggestion) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_comment: {table: user, comment: x}
  - set_comment: {table: users, column: emial, comment: x}
)yaml");
    const auto& all = planned.diagnostics.all();
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(table "public"."user" does not exist)");
    EXPECT_EQ(all[0].hint, R"(did you mean "users"?)");
    EXPECT_EQ(all[0].mark.line, 4);
    EXPECT_EQ(all[1].message, R"(column "users"."emial" (set comment) does not exist)");
    EXPECT_EQ(all[1].hint, R"(did you mean "email"?)");
    EXPECT_EQ(all[1].mark.line, 5);
}

TEST(SetComment, RefusesAColumnAnEarlierChangeReplacesOrALaterOneRebuilds) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: users, column: name}
  - set_comment: {table: users, column: name, comment: x}
  - set_comment: {table: orders, column: status, comment: x}
  - rename_column: {table: orders, from: status, to: state, method: copy}
)yaml");
    const auto all = testing::errors(planned);
    ASSERT_EQ(all.size(), 2U) << planned.diagnostics.to_string();
    EXPECT_EQ(
        all[0].message,
        R"(column "users"."name" is already changed by drop_column at test.yaml:4 in this plan)");
    EXPECT_EQ(all[0].mark.line, 5);
    EXPECT_EQ(all[1].message, R"(column "orders"."status" is rebuilt by rename_column at )"
                              R"(test.yaml:7 later in this plan, and its comment would be lost)");
    EXPECT_EQ(all[1].mark.line, 6);
}

// A rename in the catalog keeps the column: the comment is put on it at contract before the
// rename, and the new version's view shows it under the new name from expand.
TEST(SetComment, StaysOnAColumnALaterChangeRenamesInTheCatalog) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - set_comment: {table: orders, column: status, comment: x}
  - rename_column: {table: orders, from: status, to: state}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const auto contract = planned.phase_steps(Phase::contract);
    ASSERT_EQ(contract.size(), 2U);
    EXPECT_EQ(contract[0]->sql.at(0), R"(COMMENT ON COLUMN "public"."orders"."status" IS 'x')");
    EXPECT_EQ(contract[1]->sql.at(0),
              R"(ALTER TABLE "public"."orders" RENAME COLUMN "status" TO "state")");
    const Step* view = find_step(planned, Phase::expand, -1);
    ASSERT_NE(view, nullptr);
    EXPECT_TRUE(testing::any_contains(view->sql,
                                      R"(COMMENT ON COLUMN "public_a"."orders"."state" IS 'x')"));
}

TEST(SetComment, RefusesATableAnEarlierChangeDrops) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_table: {table: orders}
  - set_comment: {table: orders, comment: x}
)yaml");
    ASSERT_TRUE(planned.diagnostics.has_errors());
    EXPECT_NE(planned.diagnostics.to_string().find("\"orders\""), std::string::npos)
        << planned.diagnostics.to_string();
}

TEST(SetComment, ReportsAColumnOfATableCreatedEarlierAsKnown) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - create_table:
      table: notes
      columns:
        - {name: id, type: bigint, primary_key: true}
        - {name: body, type: text}
  - set_comment: {table: notes, column: body, comment: "markdown"}
)yaml");
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    const Step* views = find_step(planned, Phase::expand, -1);
    ASSERT_NE(views, nullptr);
    EXPECT_TRUE(testing::any_contains(
        views->sql, R"(COMMENT ON COLUMN "public_a"."notes"."body" IS 'markdown')"));
}

TEST(SetComment, LoadingReportsMissingAndMistypedFieldsAtTheirPosition) {
    const LoadResult missing = load_plan_text(R"yaml(name: a
changes:
  - set_comment: {table: users, column: email}
  - set_comment: {table: users, comment: [a, b]}
  - set_comment: {table: users, comment: x, colum: email}
)yaml",
                                              "p.yaml");
    ASSERT_FALSE(missing.plan);
    const auto& all = missing.diagnostics.all();
    ASSERT_EQ(all.size(), 3U) << missing.diagnostics.to_string();
    EXPECT_EQ(all[0].message, R"(set_comment is missing required field "comment")");
    EXPECT_EQ(all[0].mark.line, 3);
    EXPECT_EQ(all[1].message, R"("comment" in set_comment must be a string or null)");
    EXPECT_EQ(all[1].mark.line, 4);
    EXPECT_EQ(all[1].mark.column, 42);
    EXPECT_EQ(all[2].mark.line, 5);
    EXPECT_NE(all[2].message.find("colum"), std::string::npos) << all[2].message;
    EXPECT_NE(all[2].hint.find("column"), std::string::npos) << all[2].hint;
}

TEST(SetComment, NullAndAnEmptyValueRemoveAndTheChecksumTellsThemFromText) {
    const Plan null_comment = testing::load(R"yaml(
name: a
changes:
  - set_comment: {table: users, comment: null}
)yaml");
    const Plan empty = testing::load(R"yaml(
name: a
changes:
  - set_comment: {table: users, comment: }
)yaml");
    const Plan quoted = testing::load(R"yaml(
name: a
changes:
  - set_comment: {table: users, comment: "null"}
)yaml");
    const auto& op = std::get<SetComment>(null_comment.changes.at(0).operation);
    EXPECT_FALSE(op.comment);
    EXPECT_FALSE(op.column);
    EXPECT_FALSE(std::get<SetComment>(empty.changes.at(0).operation).comment);
    EXPECT_EQ(std::get<SetComment>(quoted.changes.at(0).operation).comment, "null");
    EXPECT_EQ(checksum(null_comment), checksum(empty));
    EXPECT_NE(checksum(null_comment), checksum(quoted));
    EXPECT_EQ(operation_name(null_comment.changes[0].operation), "set_comment");
}

TEST(SetComment, WithoutADatabaseSaysWhatWasNotChecked) {
    const PlannedMigration planned = plan_migration(testing::load(R"yaml(
name: a
changes:
  - set_comment: {table: users, column: email, comment: x}
)yaml"),
                                                    nullptr);
    ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
    EXPECT_TRUE(testing::any_contains(planned.unchecked, R"(table "public"."users")"));
    ASSERT_EQ(planned.steps.size(), 1U);
    EXPECT_EQ(planned.steps[0].phase, Phase::contract);
}

} // namespace
} // namespace pgphase::planners
