// Plan loading: a full plan loads with the values written, omitted settings take their
// defaults, and every kind of mistake is reported at its file:line:column without a plan.
#include "planners/load/plan_loader.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <string>
#include <variant>
#include <vector>

namespace pgphase::planners {
namespace {

constexpr const char* file_name = "plan.yaml";

LoadResult load(const std::string& text) {
    return load_plan_text(text, file_name);
}

std::string describe(const LoadResult& result) {
    return "diagnostics:\n" + result.diagnostics.to_string();
}

// Exactly one error, at line:column of plan.yaml, with this message and hint; and no plan.
::testing::AssertionResult HasOnlyError(const LoadResult& result, int line, int column,
                                        const std::string& message, const std::string& hint = {}) {
    if (result.plan) {
        return ::testing::AssertionFailure() << "a plan was returned; " << describe(result);
    }
    const auto& all = result.diagnostics.all();
    if (all.size() != 1) {
        return ::testing::AssertionFailure()
               << "expected exactly one diagnostic, got " << all.size() << "; " << describe(result);
    }
    const Diagnostic& d = all[0];
    if (d.severity != Severity::error || d.mark.file != file_name || d.mark.line != line ||
        d.mark.column != column || d.message != message || d.hint != hint) {
        return ::testing::AssertionFailure()
               << "expected " << file_name << ":" << line << ":" << column << ": error: " << message
               << " (hint: \"" << hint << "\"); " << describe(result);
    }
    return ::testing::AssertionSuccess();
}

// "line:column: message" for every diagnostic, sorted, so order of discovery does not matter.
std::vector<std::string> located_messages(const LoadResult& result) {
    std::vector<std::string> out;
    for (const auto& d : result.diagnostics.all()) {
        out.push_back(std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + ": " +
                      d.message);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// A plan whose only change is an add_column of text column c on t, with `up` (line 6,
// value at column 11) set to `up`.
std::string plan_with_up(const std::string& up) {
    return "name: m\n"
           "changes:\n"
           "  - add_column:\n"
           "      table: t\n"
           "      column: {name: c, type: text}\n"
           "      up: " +
           up + "\n";
}

// A plan whose only change adds column c of type `type` (value at line 5, column 31).
std::string plan_with_type(const std::string& type) {
    return "name: m\n"
           "changes:\n"
           "  - add_column:\n"
           "      table: t\n"
           "      column: {name: c, type: " +
           type + "}\n";
}

const std::string full_plan = R"(name: 20261124_full_plan
schema: app
settings:
  lock_timeout: 500ms
  lock_retries: 7
  contract_after: 7d
  backfill:
    batch_size: 250
    target_batch_time: 1s
    max_rows_per_second: 10000
    workers: 4
    max_replication_lag: 30s
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - add_column:
      table: orders
      column: {name: currency, type: varchar(3), nullable: false, default: "'USD'"}
      up: upper(legacy_currency)
  - create_index:
      table: orders
      name: orders_open_reference_key
      columns: [reference, created_at]
      unique: true
      method: btree
      where: "status <> 'closed'"
  - create_index: {table: documents, name: documents_body_idx, columns: [body], method: gin}
)";

// ---------------------------------------------------------------------------------------------
// Valid plans

TEST(PlanLoader, LoadsEveryFieldOfAFullPlan) {
    const LoadResult result = load(full_plan);
    ASSERT_TRUE(result.plan) << describe(result);
    EXPECT_TRUE(result.diagnostics.all().empty()) << describe(result);
    const Plan& plan = *result.plan;

    EXPECT_EQ(plan.name, "20261124_full_plan");
    EXPECT_EQ(plan.schema, "app");
    EXPECT_EQ(plan.source_file, file_name);
    EXPECT_EQ(plan.source_text, full_plan);

    EXPECT_EQ(plan.settings.lock_timeout, Milliseconds{500});
    EXPECT_EQ(plan.settings.lock_retries, 7);
    EXPECT_EQ(plan.settings.contract_after, Milliseconds{7 * 24 * 3'600'000LL});
    EXPECT_EQ(plan.settings.backfill.batch_size, 250);
    EXPECT_EQ(plan.settings.backfill.target_batch_time, Milliseconds{1'000});
    EXPECT_EQ(plan.settings.backfill.max_rows_per_second, 10'000);
    EXPECT_EQ(plan.settings.backfill.workers, 4);
    EXPECT_EQ(plan.settings.backfill.max_replication_lag, Milliseconds{30'000});

    ASSERT_EQ(plan.changes.size(), 4U);

    const auto* rename = std::get_if<RenameColumn>(&plan.changes[0].operation);
    ASSERT_NE(rename, nullptr);
    EXPECT_EQ(rename->table, "users");
    EXPECT_EQ(rename->from, "email");
    EXPECT_EQ(rename->to, "email_address");
    EXPECT_EQ(plan.changes[0].mark.file, file_name);
    EXPECT_EQ(plan.changes[0].mark.line, 14);
    EXPECT_EQ(plan.changes[0].mark.column, 5);

    const auto* add = std::get_if<AddColumn>(&plan.changes[1].operation);
    ASSERT_NE(add, nullptr);
    EXPECT_EQ(plan.changes[1].mark.line, 15);
    EXPECT_EQ(add->table, "orders");
    EXPECT_EQ(add->column.name, "currency");
    EXPECT_EQ(add->column.type.source, "varchar(3)");
    EXPECT_EQ(add->column.type.sql, "varchar(3)");
    EXPECT_EQ(add->column.type.mark.line, 17);
    EXPECT_EQ(add->column.type.mark.column, 38);
    EXPECT_FALSE(add->column.nullable);
    ASSERT_TRUE(add->column.default_value);
    EXPECT_EQ(add->column.default_value->sql, "'USD'");
    EXPECT_TRUE(add->column.default_value->is_constant);
    EXPECT_EQ(add->column.default_value->mark.line, 17);
    EXPECT_EQ(add->column.default_value->mark.column, 76);
    ASSERT_TRUE(add->up);
    EXPECT_EQ(add->up->source, "upper(legacy_currency)");
    EXPECT_EQ(add->up->sql, "upper(legacy_currency)");
    EXPECT_EQ(add->up->column_refs, std::vector<std::string>{"legacy_currency"});
    EXPECT_FALSE(add->up->is_constant);
    EXPECT_EQ(add->up->mark.line, 18);
    EXPECT_EQ(add->up->mark.column, 11);

    const auto* index = std::get_if<CreateIndex>(&plan.changes[2].operation);
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(plan.changes[2].mark.line, 19);
    EXPECT_EQ(index->table, "orders");
    EXPECT_EQ(index->name, "orders_open_reference_key");
    EXPECT_EQ(index->columns, (std::vector<std::string>{"reference", "created_at"}));
    EXPECT_TRUE(index->unique);
    EXPECT_EQ(index->method, "btree");
    ASSERT_TRUE(index->where);
    EXPECT_EQ(index->where->sql, "status <> 'closed'");
    EXPECT_EQ(index->where->column_refs, std::vector<std::string>{"status"});

    const auto* gin = std::get_if<CreateIndex>(&plan.changes[3].operation);
    ASSERT_NE(gin, nullptr);
    EXPECT_EQ(plan.changes[3].mark.line, 26);
    EXPECT_EQ(gin->columns, std::vector<std::string>{"body"});
    EXPECT_FALSE(gin->unique);
    EXPECT_EQ(gin->method, "gin");
    EXPECT_FALSE(gin->where);
}

TEST(PlanLoader, FillsDefaultsForEverythingOmitted) {
    const LoadResult result = load("name: m\n"
                                   "changes:\n"
                                   "  - add_column: {table: t, column: {name: c, type: text}}\n"
                                   "  - create_index: {table: t, name: i, columns: [c]}\n");
    ASSERT_TRUE(result.plan) << describe(result);
    const Plan& plan = *result.plan;
    EXPECT_EQ(plan.schema, "public");
    EXPECT_EQ(plan.settings.lock_timeout, Milliseconds{2'000});
    EXPECT_EQ(plan.settings.lock_retries, 20);
    EXPECT_TRUE(plan.settings.cancel_autovacuum);
    EXPECT_EQ(plan.settings.contract_after, Milliseconds{0});
    EXPECT_EQ(plan.settings.keep_dropped, Milliseconds{7 * 24 * 3'600'000LL});
    EXPECT_EQ(plan.settings.backfill.batch_size, 1000);
    EXPECT_EQ(plan.settings.backfill.target_batch_time, Milliseconds{25});
    EXPECT_EQ(plan.settings.backfill.max_rows_per_second, 0);
    EXPECT_EQ(plan.settings.backfill.workers, 1);
    EXPECT_EQ(plan.settings.backfill.max_replication_lag, Milliseconds{10'000});

    ASSERT_EQ(plan.changes.size(), 2U);
    const auto* add = std::get_if<AddColumn>(&plan.changes[0].operation);
    ASSERT_NE(add, nullptr);
    EXPECT_TRUE(add->column.nullable);
    EXPECT_FALSE(add->column.default_value);
    EXPECT_FALSE(add->up);
    const auto* index = std::get_if<CreateIndex>(&plan.changes[1].operation);
    ASSERT_NE(index, nullptr);
    EXPECT_FALSE(index->unique);
    EXPECT_EQ(index->method, "btree");
    EXPECT_FALSE(index->where);
}

TEST(PlanLoader, CancelAutovacuumCanBeTurnedOffAndTakesOnlyABoolean) {
    const LoadResult off = load("name: m\nsettings: {cancel_autovacuum: false}\nchanges:\n"
                                "  - add_column: {table: t, column: {name: c, type: text}}\n");
    ASSERT_TRUE(off.plan) << describe(off);
    EXPECT_FALSE(off.plan->settings.cancel_autovacuum);
    const LoadResult wrong = load("name: m\nsettings: {cancel_autovacuum: sometimes}\nchanges:\n"
                                  "  - add_column: {table: t, column: {name: c, type: text}}\n");
    EXPECT_FALSE(wrong.plan);
    EXPECT_NE(describe(wrong).find("cancel_autovacuum"), std::string::npos) << describe(wrong);
}

TEST(PlanLoader, KeepsOtherBackfillDefaultsWhenOnlyOneIsSet) {
    const LoadResult result = load("name: m\n"
                                   "settings:\n"
                                   "  backfill: {batch_size: 5000}\n"
                                   "changes:\n"
                                   "  - rename_column: {table: t, from: a, to: b}\n");
    ASSERT_TRUE(result.plan) << describe(result);
    EXPECT_EQ(result.plan->settings.backfill.batch_size, 5000);
    EXPECT_EQ(result.plan->settings.backfill.workers, 1);
    EXPECT_EQ(result.plan->settings.lock_timeout, Milliseconds{2'000});
}

TEST(PlanLoader, AcceptsAnUpWithATrailingCommentAndDropsTheCommentFromItsSql) {
    const LoadResult result = load(plan_with_up("upper(a) --"));
    ASSERT_TRUE(result.plan) << describe(result);
    const auto* add = std::get_if<AddColumn>(&result.plan->changes.at(0).operation);
    ASSERT_NE(add, nullptr);
    ASSERT_TRUE(add->up);
    EXPECT_EQ(add->up->source, "upper(a) --");
    EXPECT_EQ(add->up->sql, "upper(a)");
    EXPECT_EQ(add->up->sql.find("--"), std::string::npos);
}

TEST(PlanLoader, RejectsSubqueriesInExpressions) {
    const LoadResult result = load(plan_with_up("(select code from currencies limit 1)"));
    EXPECT_FALSE(result.plan);
    ASSERT_EQ(result.diagnostics.all().size(), 1U);
    EXPECT_EQ(result.diagnostics.all()[0].message,
              "invalid expression for \"up\": subqueries are not supported in expressions yet");
}

TEST(PlanLoader, AcceptsHostileButValidIdentifiers) {
    const LoadResult result =
        load("name: m\n"
             "changes:\n"
             "  - rename_column: {table: select, from: \"Mixed Case\", to: 'quo\"te'}\n");
    ASSERT_TRUE(result.plan) << describe(result);
    const auto* rename = std::get_if<RenameColumn>(&result.plan->changes.at(0).operation);
    ASSERT_NE(rename, nullptr);
    EXPECT_EQ(rename->table, "select");
    EXPECT_EQ(rename->from, "Mixed Case");
    EXPECT_EQ(rename->to, "quo\"te");
}

// ---------------------------------------------------------------------------------------------
// Whole-document errors

TEST(PlanLoader, ReportsInvalidYamlSyntaxAtTheParserPosition) {
    EXPECT_TRUE(
        HasOnlyError(load("name: [\n"), 2, 1, "invalid YAML: end of sequence flow not found"));
}

TEST(PlanLoader, ReportsAPlanThatIsAListRatherThanAMapping) {
    EXPECT_TRUE(HasOnlyError(load("- a\n- b\n"), 1, 1,
                             "a plan must be a mapping with \"name\" and \"changes\""));
}

TEST(PlanLoader, ReportsAnEmptyFileAsNotAMapping) {
    EXPECT_TRUE(
        HasOnlyError(load(""), 1, 1, "a plan must be a mapping with \"name\" and \"changes\""));
}

TEST(PlanLoader, ReportsAnEmptyChangesList) {
    EXPECT_TRUE(HasOnlyError(load("name: m\nchanges: []\n"), 2, 10,
                             "\"changes\" must be a non-empty list"));
}

TEST(PlanLoader, ReportsAMisspelledTopLevelKeyWithAHintAndTheMissingChanges) {
    const LoadResult result = load("name: m\n"
                                   "chnages:\n"
                                   "  - rename_column: {table: t, from: a, to: b}\n");
    EXPECT_FALSE(result.plan);
    EXPECT_EQ(located_messages(result),
              (std::vector<std::string>{"1:1: plan is missing required field \"changes\"",
                                        "2:1: unknown key \"chnages\" in plan"}));
    bool hinted = false;
    for (const auto& d : result.diagnostics.all()) {
        if (d.message == "unknown key \"chnages\" in plan") {
            EXPECT_EQ(d.hint, "did you mean \"changes\"?");
            hinted = true;
        }
    }
    EXPECT_TRUE(hinted) << describe(result);
}

TEST(PlanLoader, ReportsADuplicateTopLevelKeyAtTheSecondOccurrence) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "name: n\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"),
                             2, 1, "duplicate key \"name\" in plan"));
}

// ---------------------------------------------------------------------------------------------
// Operations and their keys

TEST(PlanLoader, ReportsAnUnknownOperationWithTheClosestOperationAsHint) {
    const LoadResult result = load("name: m\n"
                                   "changes:\n"
                                   "  - rename_colum: {table: t, from: a, to: b}\n");
    EXPECT_TRUE(HasOnlyError(result, 3, 5, "unknown operation \"rename_colum\"",
                             "did you mean \"rename_column\"?"));
    EXPECT_EQ(result.diagnostics.to_string(),
              "plan.yaml:3:5: error: unknown operation \"rename_colum\"\n"
              "plan.yaml:3:5: hint: did you mean \"rename_column\"?\n");
}

TEST(PlanLoader, ListsEveryOperationWhenAnUnknownOneIsNotClose) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - frobnicate: {table: t}\n"),
                             3, 5, "unknown operation \"frobnicate\"",
                             "expected one of: rename_column, add_column, create_index, add_check, "
                             "add_foreign_key, add_unique, add_primary_key, drop_constraint, "
                             "rename_constraint, change_type, create_table, drop_table, "
                             "rename_table, drop_column, set_not_null, drop_not_null, set_default, "
                             "drop_default, drop_index, backfill, sql, set_comment, "
                             "set_replica_identity, restore_column, restore_table"));
}

TEST(PlanLoader, ReportsAChangeWithTwoOperations) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"
                                  "    add_column: {table: t, column: {name: c, type: int}}\n"),
                             3, 5, "each change must be a mapping with exactly one operation",
                             "write e.g. \"- rename_column: {table: users, from: email, to: "
                             "email_address}\""));
}

TEST(PlanLoader, ReportsAnUnknownKeyInsideAnOperationWithAHint) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b, too: c}\n"),
                             3, 47, "unknown key \"too\" in rename_column",
                             "did you mean \"to\"?"));
}

TEST(PlanLoader, ListsTheKnownKeysWhenAnUnknownKeyIsNotClose) {
    EXPECT_TRUE(
        HasOnlyError(load("name: m\n"
                          "changes:\n"
                          "  - create_index: {table: t, name: i, columns: [a], zzzzzz: 1}\n"),
                     3, 53, "unknown key \"zzzzzz\" in create_index",
                     "expected one of: table, name, columns, unique, method, where"));
}

TEST(PlanLoader, ReportsAnUnknownKeyInBackfillSettings) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "settings:\n"
                                  "  backfill: {batch_sze: 10}\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"),
                             3, 14, "unknown key \"batch_sze\" in backfill settings",
                             "did you mean \"batch_size\"?"));
}

// The health query is parsed at load; "" is its default (none), as docs/plan-format.md shows.
TEST(PlanLoader, ReadsTheHealthQueryAndTakesAnEmptyOneAsNone) {
    auto with = [](const std::string& query) {
        return load("name: m\n"
                    "settings:\n"
                    "  backfill: {health_query: " +
                    query +
                    "}\n"
                    "changes:\n"
                    "  - rename_column: {table: t, from: a, to: b}\n");
    };
    const LoadResult given = with("\"SELECT pg_is_in_recovery() = false\"");
    ASSERT_TRUE(given.plan) << describe(given);
    EXPECT_EQ(given.plan->settings.backfill.health_query, "SELECT pg_is_in_recovery() = false");
    for (const std::string empty : {"\"\"", "\"  \""}) {
        const LoadResult none = with(empty);
        ASSERT_TRUE(none.plan) << empty << ": " << describe(none);
        EXPECT_EQ(none.plan->settings.backfill.health_query, "") << empty;
    }
    EXPECT_TRUE(HasOnlyError(with("\"SELECT 1; SELECT 2\""), 3, 28,
                             "invalid query for \"health_query\": expected one statement, found 2",
                             "\"health_query\" must be one SELECT returning one boolean"));
}

TEST(PlanLoader, ReportsADuplicateKeyInsideAnOperation) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b, table: u}\n"),
                             3, 47, "duplicate key \"table\" in rename_column"));
}

TEST(PlanLoader, ReportsAMissingRequiredFieldAtTheOperation) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a}\n"),
                             3, 20, "rename_column is missing required field \"to\""));
}

TEST(PlanLoader, ReportsAMisspelledColumnKeyAsBothUnknownAndMissing) {
    const LoadResult result = load("name: m\n"
                                   "changes:\n"
                                   "  - add_column:\n"
                                   "      table: t\n"
                                   "      colum: {name: c, type: text}\n");
    EXPECT_FALSE(result.plan);
    EXPECT_EQ(located_messages(result),
              (std::vector<std::string>{"4:7: add_column is missing required field \"column\"",
                                        "5:7: unknown key \"colum\" in add_column"}));
}

TEST(PlanLoader, ReportsAnUnknownIndexMethodWithAHint) {
    EXPECT_TRUE(
        HasOnlyError(load("name: m\n"
                          "changes:\n"
                          "  - create_index: {table: t, name: i, columns: [a], method: btre}\n"),
                     3, 61, "unknown index method \"btre\"", "did you mean \"btree\"?"));
}

// ---------------------------------------------------------------------------------------------
// Wrong types and values

TEST(PlanLoader, ReportsANonNumericLockRetries) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "settings:\n"
                                  "  lock_retries: abc\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"),
                             3, 17, "\"lock_retries\" must be a whole number"));
}

TEST(PlanLoader, ReportsIntegersBelowTheirMinimum) {
    const LoadResult result =
        load("name: m\n"
             "settings:\n"
             "  backfill: {batch_size: 0, workers: 0, max_rows_per_second: -1}\n"
             "changes:\n"
             "  - rename_column: {table: t, from: a, to: b}\n");
    EXPECT_FALSE(result.plan);
    EXPECT_EQ(located_messages(result),
              (std::vector<std::string>{"3:26: \"batch_size\" must be at least 1",
                                        "3:38: \"workers\" must be at least 1",
                                        "3:62: \"max_rows_per_second\" must be at least 0"}));
}

TEST(PlanLoader, ReportsAUniqueThatIsNotABoolean) {
    EXPECT_TRUE(
        HasOnlyError(load("name: m\n"
                          "changes:\n"
                          "  - create_index: {table: t, name: i, columns: [a], unique: maybe}\n"),
                     3, 61, "\"unique\" must be true or false"));
}

TEST(PlanLoader, ReportsColumnsThatAreNotAList) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - create_index: {table: t, name: i, columns: a}\n"),
                             3, 48, "\"columns\" must be a non-empty list of column names"));
}

TEST(PlanLoader, ReportsAColumnListedTwiceInAnIndex) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - create_index: {table: t, name: i, columns: [a, a]}\n"),
                             3, 52, "column \"a\" is listed twice"));
}

TEST(PlanLoader, ReportsATableThatIsNotAString) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: [t], from: a, to: b}\n"),
                             3, 28, "\"table\" in rename_column must be a string"));
}

TEST(PlanLoader, ReportsALockTimeoutWithoutAUnit) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "settings:\n"
                                  "  lock_timeout: 2\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"),
                             3, 17, "\"lock_timeout\" must be a duration with a unit",
                             "write e.g. 500ms, 2s, 10m, 1h or 7d"));
}

TEST(PlanLoader, ReportsAZeroLockTimeoutBecauseDdlWouldQueueForever) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "settings:\n"
                                  "  lock_timeout: 0s\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"),
                             3, 17, "\"lock_timeout\" must be more than 0",
                             "a DDL statement without a lock timeout can queue behind a long "
                             "transaction and block every query on the table"));
}

// ---------------------------------------------------------------------------------------------
// Names

TEST(PlanLoader, ReportsAnEmptyIdentifier) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: '', from: a, to: b}\n"),
                             3, 28, "bad identifier for \"table\": an identifier cannot be empty"));
}

TEST(PlanLoader, ReportsAnIdentifierOfSixtyFourBytes) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: " +
                                  std::string(64, 'x') + "}\n"),
                             3, 44,
                             "bad identifier for \"to\": identifier is 64 bytes long; "
                             "PostgreSQL allows at most 63"));
}

TEST(PlanLoader, AcceptsAnIdentifierOfSixtyThreeBytes) {
    const LoadResult result = load("name: m\n"
                                   "changes:\n"
                                   "  - rename_column: {table: t, from: a, to: " +
                                   std::string(63, 'x') + "}\n");
    ASSERT_TRUE(result.plan) << describe(result);
    EXPECT_EQ(std::get<RenameColumn>(result.plan->changes.at(0).operation).to,
              std::string(63, 'x'));
}

TEST(PlanLoader, ReportsABadIdentifierInsideAnIndexColumnList) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - create_index: {table: t, name: i, columns: [a, '']}\n"),
                             3, 52,
                             "bad identifier in \"columns\": an identifier cannot be empty"));
}

TEST(PlanLoader, ReportsAnUppercaseMigrationName) {
    EXPECT_TRUE(HasOnlyError(load("name: Rename_Email\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"),
                             1, 7, "bad migration name \"Rename_Email\"",
                             "use 1 to 48 characters from a-z, 0-9 and _, e.g. "
                             "20261123_rename_users_email"));
}

TEST(PlanLoader, ReportsAMigrationNameWithADash) {
    EXPECT_TRUE(HasOnlyError(load("name: rename-email\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"),
                             1, 7, "bad migration name \"rename-email\"",
                             "use 1 to 48 characters from a-z, 0-9 and _, e.g. "
                             "20261123_rename_users_email"));
}

TEST(PlanLoader, AcceptsAMigrationNameOfFortyEightCharactersButNotFortyNine) {
    const std::string ok = std::string(48, 'a');
    const LoadResult accepted =
        load("name: " + ok + "\nchanges:\n  - rename_column: {table: t, from: a, to: b}\n");
    ASSERT_TRUE(accepted.plan) << describe(accepted);
    EXPECT_EQ(accepted.plan->name, ok);

    const std::string too_long = std::string(49, 'a');
    EXPECT_TRUE(HasOnlyError(
        load("name: " + too_long + "\nchanges:\n  - rename_column: {table: t, from: a, to: b}\n"),
        1, 7, "bad migration name \"" + too_long + "\"",
        "use 1 to 48 characters from a-z, 0-9 and _, e.g. 20261123_rename_users_email"));
}

TEST(PlanLoader, ReportsTwoIndexesWithTheSameNameAtTheSecond) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - create_index: {table: t, name: i, columns: [a]}\n"
                                  "  - create_index: {table: u, name: i, columns: [b]}\n"),
                             4, 5, "duplicate name: index \"i\" is created twice",
                             "first created at plan.yaml:3"));
}

TEST(PlanLoader, ReportsTheSameColumnAddedTwice) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - add_column: {table: t, column: {name: c, type: text}}\n"
                                  "  - add_column: {table: t, column: {name: c, type: int}}\n"),
                             4, 5, "duplicate name: column \"t\".\"c\" is created twice",
                             "first created at plan.yaml:3"));
}

TEST(PlanLoader, ReportsAddingAColumnThatAnEarlierRenameCreates) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: b}\n"
                                  "  - add_column: {table: t, column: {name: b, type: int}}\n"),
                             4, 5, "duplicate name: column \"t\".\"b\" is created twice",
                             "first created at plan.yaml:3"));
}

TEST(PlanLoader, AllowsTheSameColumnNameOnDifferentTables) {
    const LoadResult result = load("name: m\n"
                                   "changes:\n"
                                   "  - add_column: {table: t, column: {name: c, type: text}}\n"
                                   "  - add_column: {table: u, column: {name: c, type: text}}\n");
    ASSERT_TRUE(result.plan) << describe(result);
    EXPECT_EQ(result.plan->changes.size(), 2U);
}

TEST(PlanLoader, ReportsARenameToTheSameName) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - rename_column: {table: t, from: a, to: a}\n"),
                             3, 44, "rename_column renames \"a\" to itself"));
}

// ---------------------------------------------------------------------------------------------
// add_column specifics, expressions and types

TEST(PlanLoader, ReportsANotNullColumnWithNeitherDefaultNorUp) {
    EXPECT_TRUE(HasOnlyError(load("name: m\n"
                                  "changes:\n"
                                  "  - add_column:\n"
                                  "      table: t\n"
                                  "      column: {name: c, type: text, nullable: false}\n"),
                             4, 7,
                             "add_column of NOT NULL column \"c\" needs a default or an \"up\" "
                             "expression",
                             "existing rows need a value: give \"default\" (a constant is "
                             "instant) or \"up\" (filled by backfill)"));
}

TEST(PlanLoader, AcceptsANotNullColumnWithOnlyAnUp) {
    const LoadResult result = load("name: m\n"
                                   "changes:\n"
                                   "  - add_column:\n"
                                   "      table: t\n"
                                   "      column: {name: c, type: text, nullable: false}\n"
                                   "      up: lower(b)\n");
    ASSERT_TRUE(result.plan) << describe(result);
    const auto& add = std::get<AddColumn>(result.plan->changes.at(0).operation);
    EXPECT_FALSE(add.column.nullable);
    EXPECT_FALSE(add.column.default_value);
    ASSERT_TRUE(add.up);
    EXPECT_EQ(add.up->column_refs, std::vector<std::string>{"b"});
}

TEST(PlanLoader, RejectsAnUpThatIsNotExactlyOneUnqualifiedExpression) {
    struct Case {
        std::string up;
        int column;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"x; DROP TABLE t", 11, "expected one expression, found 2 statements"},
        {"a, b", 11, "expected one expression, found 2"},
        {"1 FROM users", 11, "expected one expression, found a query clause (fromClause)"},
        {"x AS y", 11, "an expression cannot carry an alias"},
        {"users.email", 11, "column references must be unqualified column names"},
        // Syntax errors point at the offending byte: end of input after "a +".
        {"a +", 14, "syntax error at end of input"},
        // Quoted scalar: the column skips the opening quote.
        {"\"'a' )\"", 16, "syntax error at or near \")\""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("up: " + c.up);
        EXPECT_TRUE(HasOnlyError(load(plan_with_up(c.up)), 6, c.column,
                                 "invalid expression for \"up\": " + c.message,
                                 "\"up\" must be exactly one SQL expression"));
    }
}

TEST(PlanLoader, RejectsAnInvalidDefaultExpression) {
    EXPECT_TRUE(HasOnlyError(
        load("name: m\n"
             "changes:\n"
             "  - add_column: {table: t, column: {name: c, type: int, default: '1; select 2'}}\n"),
        3, 66, "invalid expression for \"default\": expected one expression, found 2 statements",
        "\"default\" must be exactly one SQL expression"));
}

TEST(PlanLoader, RejectsAnInvalidIndexPredicate) {
    EXPECT_TRUE(HasOnlyError(
        load("name: m\n"
             "changes:\n"
             "  - create_index: {table: t, name: i, columns: [a], where: 'a > 1 AS b'}\n"),
        3, 60, "invalid expression for \"where\": an expression cannot carry an alias",
        "\"where\" must be exactly one SQL expression"));
}

TEST(PlanLoader, RejectsATypeWithAStatementSeparator) {
    EXPECT_TRUE(HasOnlyError(load(plan_with_type("text; drop table x")), 5, 31,
                             "invalid type for \"type\": expected one type name"));
}

TEST(PlanLoader, RejectsATypeThatDoesNotParse) {
    EXPECT_TRUE(HasOnlyError(load(plan_with_type("not a type at all")), 5, 31,
                             "invalid type for \"type\": syntax error at or near \"not\""));
}

TEST(PlanLoader, CanonicalisesAValidType) {
    const LoadResult result = load(plan_with_type("\"numeric(10,2)\""));
    ASSERT_TRUE(result.plan) << describe(result);
    const auto& add = std::get<AddColumn>(result.plan->changes.at(0).operation);
    EXPECT_EQ(add.column.type.source, "numeric(10,2)");
    EXPECT_EQ(add.column.type.sql, "numeric(10, 2)");
}

// ---------------------------------------------------------------------------------------------
// Collection

TEST(PlanLoader, ReportsEveryErrorOfAPlanInOneRun) {
    const LoadResult result =
        load("name: m\n"
             "changes:\n"
             "  - rename_column: {table: t, from: a, to: b}\n"
             "  - rename_colum: {table: t, from: c, to: d}\n"
             "  - add_column: {table: t, column: {name: '', type: text}}\n"
             "  - create_index: {table: t, name: i, columns: [a], unique: maybe}\n"
             "settings: {lock_timeout: 5}\n");
    EXPECT_FALSE(result.plan);
    EXPECT_EQ(located_messages(result),
              (std::vector<std::string>{
                  "4:5: unknown operation \"rename_colum\"",
                  "5:43: bad identifier for \"name\": an identifier cannot be empty",
                  "6:61: \"unique\" must be true or false",
                  "7:26: \"lock_timeout\" must be a duration with a unit"}));
    for (const auto& d : result.diagnostics.all()) {
        EXPECT_EQ(d.severity, Severity::error);
        EXPECT_EQ(d.mark.file, file_name);
    }
}

TEST(PlanLoaderFile, ReportsAnUnreadableFileWithoutAPlan) {
    const LoadResult result = load_plan_file("/nonexistent/pgphase/plan.yaml");
    EXPECT_FALSE(result.plan);
    ASSERT_EQ(result.diagnostics.all().size(), 1U);
    const Diagnostic& d = result.diagnostics.all()[0];
    EXPECT_EQ(d.mark.file, "/nonexistent/pgphase/plan.yaml");
    EXPECT_EQ(d.message, "cannot read plan file");
    EXPECT_EQ(d.hint, "check that the path exists and is readable");
}

TEST(PlanLoaderFile, LoadsTheShippedRenamePlan) {
    const std::string path = std::string(PGPHASE_SOURCE_DIR) + "/plans/rename_column.yaml";
    const LoadResult result = load_plan_file(path);
    ASSERT_TRUE(result.plan) << describe(result);
    EXPECT_EQ(result.plan->name, "20261123_rename_users_email");
    EXPECT_EQ(result.plan->source_file, path);
    EXPECT_EQ(result.plan->settings.backfill.batch_size, 5000);
    ASSERT_EQ(result.plan->changes.size(), 1U);
    const auto& rename = std::get<RenameColumn>(result.plan->changes[0].operation);
    EXPECT_EQ(rename.from, "email");
    EXPECT_EQ(rename.to, "email_address");
}

// Regression (fixed): a mapping key that is not a scalar (a YAML flow sequence or mapping used as a
// key) makes yaml-cpp's as<std::string>() throw YAML::TypedBadConversion out of load_plan_text
// (plan_loader.cpp:73 in MapReader, and :413 in load_change) instead of being reported as a located
// diagnostic; the loader promises problems are "collected, never thrown".
TEST(PlanLoader, ReportsANonScalarKeyInsteadOfThrowing) {
    for (const std::string& text : {std::string("[a]: 1\nname: m\nchanges:\n"
                                                "  - rename_column: {table: t, from: a, to: b}\n"),
                                    std::string("name: m\nchanges:\n  - {[x]: 1}\n")}) {
        SCOPED_TRACE(text);
        LoadResult result;
        EXPECT_NO_THROW(result = load(text));
        EXPECT_FALSE(result.plan);
        EXPECT_TRUE(result.diagnostics.has_errors());
    }
}

// Regression (fixed): an empty (or comment-only) expression makes load_plan_text throw
// nlohmann::json::out_of_range ("key 'targetList' not found") instead of reporting an invalid
// expression.
TEST(PlanLoader, ReportsAnEmptyUpInsteadOfThrowing) {
    LoadResult result;
    EXPECT_NO_THROW(result = load(plan_with_up("\"\"")));
    EXPECT_FALSE(result.plan);
    ASSERT_EQ(result.diagnostics.all().size(), 1U);
    EXPECT_EQ(result.diagnostics.all()[0].mark.line, 6);
    EXPECT_EQ(result.diagnostics.all()[0].mark.column, 11);
}

// Regression (fixed): parse_duration overflows int64 for large amounts (plan_loader.cpp:481, amount
// * unit with up to 12 digits): "999999999999d" is 8.64e19 ms, so the plan loads with a negative
// contract_after (signed overflow, undefined behaviour) instead of an error.
TEST(PlanLoader, RejectsADurationTooLargeForMilliseconds) {
    EXPECT_FALSE(load("name: m\n"
                      "settings:\n"
                      "  contract_after: 999999999999d\n"
                      "changes:\n"
                      "  - rename_column: {table: t, from: a, to: b}\n")
                     .plan);
}

TEST(PlanLoader, KeepDroppedTakesADurationOrABareZero) {
    const auto keep = [](const std::string& value) {
        return load("name: m\nsettings:\n  keep_dropped: " + value +
                    "\nchanges:\n  - drop_column: {table: t, column: c}\n");
    };
    ASSERT_TRUE(keep("0").plan);
    EXPECT_EQ(keep("0").plan->settings.keep_dropped, Milliseconds{0});
    ASSERT_TRUE(keep("12h").plan);
    EXPECT_EQ(keep("12h").plan->settings.keep_dropped, Milliseconds{12 * 3'600'000LL});
    const LoadResult unitless = keep("7");
    EXPECT_FALSE(unitless.plan);
    EXPECT_NE(describe(unitless).find("\"keep_dropped\" must be a duration with a unit"),
              std::string::npos)
        << describe(unitless);
}

// ---------------------------------------------------------------------------------------------
// parse_duration

TEST(ParseDuration, ConvertsEveryUnitToMilliseconds) {
    EXPECT_EQ(parse_duration("500ms"), Milliseconds{500});
    EXPECT_EQ(parse_duration("2s"), Milliseconds{2'000});
    EXPECT_EQ(parse_duration("10m"), Milliseconds{600'000});
    EXPECT_EQ(parse_duration("1h"), Milliseconds{3'600'000});
    EXPECT_EQ(parse_duration("7d"), Milliseconds{604'800'000});
    EXPECT_EQ(parse_duration("0s"), Milliseconds{0});
}

TEST(ParseDuration, RejectsMalformedDurations) {
    for (const char* text : {"", "2", "s", "ms", "1.5s", "-1s", " 2s", "2s ", "2 s", "2S", "2sec",
                             "1e3ms", "1000000000000ms"}) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(parse_duration(text).has_value());
    }
}

// Regression (fixed): see PlanLoader.RejectsADurationTooLargeForMilliseconds.
TEST(ParseDuration, NeverReturnsANegativeDuration) {
    const auto d = parse_duration("999999999999d");
    EXPECT_TRUE(!d || d->count() > 0) << d->count();
}

} // namespace
} // namespace pgphase::planners
