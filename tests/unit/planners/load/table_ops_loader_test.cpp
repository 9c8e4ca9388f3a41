// Loading create_table, drop_table, rename_table, drop_column and add_column's constraint fields:
// what loads, and every mistake at its file:line:column.
#include "planners/load/plan_loader.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners {
namespace {

LoadResult load(const std::string& text) {
    return load_plan_text(text, "plan.yaml");
}

// Exactly one error at line:column with this message (and hint, when given).
::testing::AssertionResult OneError(const LoadResult& result, int line, int column,
                                    const std::string& message, const std::string& hint = "*") {
    const auto& all = result.diagnostics.all();
    if (result.plan || all.size() != 1 || all[0].mark.line != line ||
        all[0].mark.column != column || all[0].message != message ||
        (hint != "*" && all[0].hint != hint)) {
        return ::testing::AssertionFailure() << "got:\n" << result.diagnostics.to_string();
    }
    return ::testing::AssertionSuccess();
}

TEST(TableOpsLoader, LoadsACreateTableWithEveryField) {
    const LoadResult result = load(R"yaml(name: m
changes:
  - create_table:
      table: wallets
      columns:
        - {name: id, type: bigint, identity: always, primary_key: true}
        - {name: user_id, type: bigint, references: {table: users, column: id, on_delete: cascade}}
        - {name: code, type: text, nullable: false, default: "'x'", unique: true, check: "code <> ''"}
      unique: [{name: wallets_pair_key, columns: [user_id, code]}]
      checks: [{expression: "length(code) < 10"}]
      foreign_keys: [{columns: [user_id, code], references: {table: codes, columns: [u, c]}}]
)yaml");
    ASSERT_TRUE(result.plan) << result.diagnostics.to_string();
    const auto& op = std::get<CreateTable>(result.plan->changes.at(0).operation);
    EXPECT_EQ(op.primary_key, std::vector<std::string>{"id"});
    EXPECT_EQ(op.columns.at(0).identity, "ALWAYS");
    EXPECT_EQ(op.columns.at(1).references->on_delete, "CASCADE");
    EXPECT_EQ(op.columns.at(1).references->columns, std::vector<std::string>{"id"});
    EXPECT_TRUE(op.columns.at(2).unique);
    EXPECT_EQ(op.unique.at(0).name, "wallets_pair_key");
    EXPECT_EQ(op.checks.at(0).name, "");
    EXPECT_EQ(op.foreign_keys.at(0).references.columns, (std::vector<std::string>{"u", "c"}));
}

TEST(TableOpsLoader, ReportsAnUnknownColumnKeyWithASuggestion) {
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - create_table:
      table: t
      columns:
        - {name: id, type: int, primary_kye: true}
)yaml"),
                         6, 33, "unknown key \"primary_kye\" in column",
                         "did you mean \"primary_key\"?"));
}

TEST(TableOpsLoader, AddColumnDoesNotTakePrimaryKeyOrIdentity) {
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - add_column: {table: t, column: {name: id, type: int, identity: always}}
)yaml"),
                         3, 58, "unknown key \"identity\" in column"));
}

TEST(TableOpsLoader, ReportsABadIdentityAndOnDelete) {
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - create_table: {table: t, columns: [{name: id, type: int, identity: allways}]}
)yaml"),
                         3, 72, "unknown identity kind \"allways\"", "did you mean \"always\"?"));
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - add_column: {table: t, column: {name: u, type: int, references: {table: users, on_delete: cascde}}}
)yaml"),
                         3, 95, "unknown on_delete action \"cascde\"",
                         "did you mean \"cascade\"?"));
}

TEST(TableOpsLoader, ReportsTwoPrimaryKeysAndKeysOnUndefinedColumns) {
    EXPECT_TRUE(
        OneError(load(R"yaml(name: m
changes:
  - create_table:
      table: t
      columns: [{name: id, type: int, primary_key: true}]
      primary_key: [id]
)yaml"),
                 6, 20, "the primary key is given twice: by \"primary_key\" and by column \"id\""));
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - create_table:
      table: t
      columns: [{name: id, type: int}]
      primary_key: [idd]
)yaml"),
                         6, 20,
                         "\"primary_key\" names column \"idd\", which the table does not define",
                         "did you mean \"id\"?"));
}

TEST(TableOpsLoader, ReportsADuplicateColumnAndAnEmptyColumnList) {
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - create_table: {table: t, columns: [{name: a, type: int}, {name: a, type: text}]}
)yaml"),
                         3, 62, "column \"a\" is defined twice"));
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - create_table: {table: t, columns: []}
)yaml"),
                         3, 39, "\"columns\" must be a non-empty list of columns"));
}

TEST(TableOpsLoader, ReportsAForeignKeyWithMismatchedColumnCounts) {
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - create_table:
      table: t
      columns: [{name: a, type: int}]
      foreign_keys: [{columns: [a], references: {table: u, columns: [x, y]}}]
)yaml"),
                         6, 49, "foreign key has 1 columns but references 2"));
}

TEST(TableOpsLoader, RenameTableToItselfAndTheSameNameCreatedTwice) {
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - rename_table: {from: t, to: t}
)yaml"),
                         3, 33, "rename_table renames \"t\" to itself"));
    const LoadResult twice = load(R"yaml(name: m
changes:
  - create_table: {table: t, columns: [{name: a, type: int}]}
  - rename_table: {from: u, to: t}
)yaml");
    EXPECT_FALSE(twice.plan);
    EXPECT_NE(twice.diagnostics.to_string().find("duplicate name: table \"t\" is created twice"),
              std::string::npos)
        << twice.diagnostics.to_string();
}

TEST(TableOpsLoader, DropColumnsDownMayNotReadTheDroppedColumn) {
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - drop_column: {table: t, column: a, down: "a || b"}
)yaml"),
                         3, 46, "\"down\" reads column \"a\", the column being dropped"));
    EXPECT_TRUE(OneError(load(R"yaml(name: m
changes:
  - drop_table: {table: t, cascade: true}
)yaml"),
                         3, 28, "unknown key \"cascade\" in drop_table"));
}

} // namespace
} // namespace pgphase::planners

namespace pgphase::planners {
namespace {

std::string checksum_of(const std::string& change) {
    const LoadResult result = load("name: m\nchanges:\n  - " + change + "\n");
    EXPECT_TRUE(result.plan) << result.diagnostics.to_string();
    return result.plan ? checksum(*result.plan) : std::string();
}

TEST(TableOpsChecksum, CoversEveryFieldOfTheTableOperations) {
    const std::vector<std::string> changes = {
        "add_column: {table: t, column: {name: c, type: int}}",
        "add_column: {table: t, column: {name: c, type: int, unique: true}}",
        "add_column: {table: t, column: {name: c, type: int, check: \"c > 0\"}}",
        "add_column: {table: t, column: {name: c, type: int, references: {table: u}}}",
        "add_column: {table: t, column: {name: c, type: int, references: {table: u, on_delete: "
        "cascade}}}",
        "create_table: {table: t, columns: [{name: a, type: int}]}",
        "create_table: {table: t, columns: [{name: a, type: int, primary_key: true}]}",
        "create_table: {table: t, columns: [{name: a, type: int, identity: always}]}",
        "create_table: {table: t, columns: [{name: a, type: int}], checks: [{expression: a > 0}]}",
        "create_table: {table: t, columns: [{name: a, type: int}], unique: [{columns: [a]}]}",
        "drop_table: {table: t}",
        "drop_table: {table: u}",
        "rename_table: {from: t, to: u}",
        "rename_table: {from: t, to: v}",
        "drop_column: {table: t, column: c}",
        "drop_column: {table: t, column: c, down: \"1\"}",
    };
    std::vector<std::string> sums;
    for (const auto& change : changes) {
        sums.push_back(checksum_of(change));
    }
    for (std::size_t i = 0; i < sums.size(); ++i) {
        for (std::size_t j = i + 1; j < sums.size(); ++j) {
            EXPECT_NE(sums[i], sums[j]) << changes[i] << " and " << changes[j];
        }
    }
}

} // namespace
} // namespace pgphase::planners
