// A change of a column that an earlier change of the same plan renames away, retypes through a
// shadow column or drops is refused, naming that change: contract drops the old column and what
// the later change built on it. Compositions that keep working stay allowed.
#include "planners/ops/earlier_changes.hpp"
#include "tests/unit/planners/ops/ops_test_support.hpp"

#include <vector>

namespace pgphase::planners {
namespace {

using testing::plan_with_catalog;

// The diagnostic naming `by` at test.yaml:4 for `column`, reported at line 5, or nullptr.
const Diagnostic* refusal(const PlannedMigration& planned, const std::string& column,
                          const std::string& by) {
    const std::string message =
        "column " + column + " is already changed by " + by + " at test.yaml:4 in this plan";
    for (const auto& diagnostic : planned.diagnostics.all()) {
        if (diagnostic.message == message && diagnostic.mark.line == 5) {
            return &diagnostic;
        }
    }
    return nullptr;
}

// `earlier` at test.yaml:4, `later` at test.yaml:5.
std::string plan_of(const char* earlier, const char* later) {
    return std::string("\nname: a\nchanges:\n  - ") + earlier + "\n  - " + later + "\n";
}

const char* rename = "rename_column: {table: orders, from: reference, to: ref}";
const char* retype = "change_type: {table: orders, column: reference, type: varchar(100)}";
const char* drop = "drop_column: {table: orders, column: reference}";

const char* laters[] = {
    "set_not_null: {table: orders, column: reference}",
    "drop_not_null: {table: orders, column: reference}",
    "set_default: {table: orders, column: reference, default: \"'x'\"}",
    "drop_default: {table: orders, column: reference}",
    "add_check: {table: orders, name: ref_not_empty, check: \"reference <> ''\"}",
    "add_unique: {table: orders, columns: [user_id, reference]}",
    "add_primary_key: {table: orders, name: orders_pk2, columns: [reference]}",
    "add_foreign_key: {table: orders, columns: [reference], references: {table: users, columns: "
    "[email]}}",
    "create_index: {table: orders, name: ref_idx, columns: [reference]}",
    "create_index: {table: orders, name: ref_idx, columns: [status], where: reference IS NULL}",
    "drop_column: {table: orders, column: reference}",
    "add_column: {table: orders, column: {name: c, type: int, check: \"reference <> ''\"}}",
};

// Each replacing change, with what its hint says.
struct Replacing {
    const char* change;
    const char* name;
    std::vector<const char*> hint;
};

TEST(EarlierChanges, RefusesEveryChangeOfAColumnAnEarlierChangeReplaces) {
    const Replacing replacing[] = {
        {rename,
         "rename_column",
         {R"(once "ref" has taken its place)", "run this change as a separate migration"}},
        {retype, "change_type", {"a column of type varchar(100)"}},
        {drop, "drop_column", {"remove this change"}},
    };
    for (const auto& earlier : replacing) {
        for (const char* later : laters) {
            const PlannedMigration planned = plan_with_catalog(plan_of(earlier.change, later));
            const Diagnostic* found = refusal(planned, R"("orders"."reference")", earlier.name);
            ASSERT_NE(found, nullptr) << earlier.change << " then " << later << "\n"
                                      << planned.diagnostics.to_string();
            for (const char* words : earlier.hint) {
                EXPECT_NE(found->hint.find(words), std::string::npos) << found->hint;
            }
        }
    }
}

TEST(EarlierChanges, RefusesTheSameWithoutADatabase) {
    for (const char* earlier : {rename, retype, drop}) {
        const PlannedMigration planned = planners::plan_migration(
            testing::load(plan_of(earlier, "set_not_null: {table: orders, column: reference}")),
            nullptr);
        const auto errors = testing::errors(planned);
        ASSERT_EQ(errors.size(), 1U) << planned.diagnostics.to_string();
        EXPECT_EQ(errors[0].mark.line, 5);
    }
}

TEST(EarlierChanges, RefusesAForeignKeyToAColumnAnEarlierChangeRenames) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - add_foreign_key: {table: orders, columns: [reference], references: {table: users, columns: [email]}}
)yaml");
    EXPECT_NE(refusal(planned, R"("users"."email")", "rename_column"), nullptr)
        << planned.diagnostics.to_string();
}

TEST(EarlierChanges, RefusesANewColumnReferencingAColumnAnEarlierChangeRenames) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_column: {table: users, from: email, to: email_address}
  - add_column: {table: orders, column: {name: buyer, type: text, references: {table: users, column: email}}}
)yaml");
    EXPECT_NE(refusal(planned, R"("users"."email")", "rename_column"), nullptr)
        << planned.diagnostics.to_string();
}

TEST(EarlierChanges, RefusesRenamingOrRetypingAColumnAnEarlierChangeDrops) {
    for (const char* later : {"rename_column: {table: orders, from: reference, to: ref}",
                              "change_type: {table: orders, column: reference, type: integer}"}) {
        const PlannedMigration planned = plan_with_catalog(plan_of(drop, later));
        ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
        EXPECT_NE(refusal(planned, R"("orders"."reference")", "drop_column"), nullptr)
            << planned.diagnostics.to_string();
    }
}

TEST(EarlierChanges, ReportsEachRefusedColumnOnce) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - drop_column: {table: orders, column: reference}
  - add_check: {table: orders, name: c, check: "reference <> '' AND reference <> 'x'"}
)yaml");
    ASSERT_EQ(planned.diagnostics.all().size(), 1U) << planned.diagnostics.to_string();
}

// The other order: what an earlier change gives a column (NOT NULL, a default, a constraint,
// backfilled values) would not follow it into the column a rename or a type change builds, nor
// outlive a drop; refused naming the earlier change.
TEST(EarlierChanges, RefusesRebuildingOrDroppingAColumnAnEarlierChangeChanged) {
    const std::pair<const char*, const char*> earliers[] = {
        {"set_not_null: {table: orders, column: reference}", "set_not_null"},
        {"drop_not_null: {table: orders, column: reference}", "drop_not_null"},
        {"set_default: {table: orders, column: reference, default: \"'x'\"}", "set_default"},
        {"drop_default: {table: orders, column: reference}", "drop_default"},
        {"add_check: {table: orders, name: ref_not_empty, check: \"reference <> ''\"}",
         "add_check"},
        {"add_unique: {table: orders, columns: [user_id, reference]}", "add_unique"},
        {"add_primary_key: {table: orders, name: orders_pk2, columns: [reference]}",
         "add_primary_key"},
        {"add_foreign_key: {table: orders, columns: [reference], references: {table: users, "
         "columns: [email]}}",
         "add_foreign_key"},
        {"backfill: {table: orders, set: {reference: upper(reference)}}", "backfill"},
    };
    for (const auto& [earlier, name] : earliers) {
        for (const char* later : {rename, retype, drop}) {
            const PlannedMigration planned = plan_with_catalog(plan_of(earlier, later));
            EXPECT_NE(refusal(planned, R"("orders"."reference")", name), nullptr)
                << earlier << " then " << later << "\n"
                << planned.diagnostics.to_string();
        }
    }
    // A foreign key to the column counts too.
    const PlannedMigration referenced = plan_with_catalog(
        plan_of("add_foreign_key: {table: orders, columns: [user_id], references: {table: users, "
                "columns: [email]}}",
                "rename_column: {table: users, from: email, to: email_address}"));
    EXPECT_NE(refusal(referenced, R"("users"."email")", "add_foreign_key"), nullptr)
        << referenced.diagnostics.to_string();
}

// drop_column's `down` runs on the new version's writes until contract: it may not read a
// column an earlier change hides, reported at the `down` itself.
TEST(EarlierChanges, RefusesADropColumnDownReadingAColumnAnEarlierChangeRenames) {
    const PlannedMigration planned = plan_with_catalog(plan_of(
        rename,
        "drop_column: {table: orders, column: status, down: \"coalesce(reference, 'x')\"}"));
    const auto& all = planned.diagnostics.all();
    const auto found = std::find_if(all.begin(), all.end(), [](const Diagnostic& d) {
        return d.message == R"("down" reads column "orders"."reference", which an earlier change )"
                            "of this plan hides or drops";
    });
    ASSERT_NE(found, all.end()) << planned.diagnostics.to_string();
    EXPECT_EQ(found->mark.line, 5);
    EXPECT_GT(found->mark.column, 50) << "at the down expression, not the change";
    EXPECT_NE(found->hint.find("read the column under its new name"), std::string::npos);
}

TEST(EarlierChanges, StillAllowsChangesOfTheNewNameReadsOfTheOldOneAndInPlaceTypeChanges) {
    const PlannedMigration planned = plan_with_catalog(R"yaml(
name: a
changes:
  - rename_column: {table: orders, from: reference, to: ref}
  - set_not_null: {table: orders, column: ref}
  - add_column: {table: orders, column: {name: ref_length, type: integer}, up: length(reference)}
  - backfill: {table: orders, set: {status: "'x'"}, where: reference IS NULL}
  - change_type: {table: orders, column: legacy_currency, type: text}
  - set_not_null: {table: orders, column: legacy_currency, up: "'USD'"}
)yaml");
    EXPECT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
}

// The checks look only at the earlier changes naming their table: a foreign key counts for
// both of its tables, a change with no table for none.
TEST(EarlierChanges, IndexesEachChangeUnderTheTablesItNames) {
    const Plan plan = testing::load(R"yaml(
name: a
changes:
  - rename_column: {table: orders, from: reference, to: ref}
  - set_not_null: {table: users, column: email}
  - add_foreign_key: {table: orders, columns: [user_id], references: {table: users, columns: [id]}}
  - sql: {up: "SELECT 1", down: "SELECT 1"}
  - drop_column: {table: orders, column: legacy_currency}
)yaml");
    const ChangesByTable by_table(plan);
    EXPECT_EQ(by_table.on("orders"), (std::vector<int>{0, 2, 4}));
    EXPECT_EQ(by_table.on("users"), (std::vector<int>{1, 2}));
    EXPECT_TRUE(by_table.on("payments").empty());
}

} // namespace
} // namespace pgphase::planners
