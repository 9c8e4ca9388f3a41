// "Did you mean" suggestions, and the compiler-style formatting of located diagnostics.
#include "planners/model/diagnostic.hpp"
#include "planners/model/suggest.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace pgphase::planners {
namespace {

const std::vector<std::string> operations = {"rename_column", "add_column", "create_index"};
const std::vector<std::string> plan_keys = {"name", "schema", "settings", "changes"};

// ---------------------------------------------------------------------------------------------
// closest / did_you_mean_hint

TEST(Closest, FindsANameOneDeletionAway) {
    EXPECT_EQ(closest("rename_colum", operations), "rename_column");
}

TEST(Closest, FindsASwappedPairOfLetters) {
    EXPECT_EQ(closest("chnages", plan_keys), "changes");
}

TEST(Closest, ReturnsAnExactMatch) {
    EXPECT_EQ(closest("schema", plan_keys), "schema");
}

TEST(Closest, PrefersTheNearestOfSeveralCandidates) {
    EXPECT_EQ(closest("too", {"table", "from", "to"}), "to");
    EXPECT_EQ(closest("ad_column", operations), "add_column");
}

TEST(Closest, PrefersTheFirstCandidateOnATie) {
    EXPECT_EQ(closest("ab", {"ax", "ay"}), "ax");
    EXPECT_EQ(closest("ab", {"ay", "ax"}), "ay");
}

TEST(Closest, AcceptsTwoEditsButNotThree) {
    EXPECT_EQ(closest("abcxy", {"abcde"}), "abcde");
    EXPECT_EQ(closest("abxyz", {"abcde"}), "");
}

TEST(Closest, ReturnsNothingForAnUnrelatedWord) {
    EXPECT_EQ(closest("drop_table", operations), "");
}

TEST(Closest, ReturnsNothingWithoutCandidates) {
    EXPECT_EQ(closest("name", {}), "");
}

TEST(DidYouMeanHint, QuotesTheClosestName) {
    EXPECT_EQ(did_you_mean_hint("rename_colum", operations), "did you mean \"rename_column\"?");
    EXPECT_EQ(did_you_mean_hint("btre", {"btree", "hash", "gist", "gin", "spgist", "brin"}),
              "did you mean \"btree\"?");
}

TEST(DidYouMeanHint, IsEmptyWhenNothingIsClose) {
    EXPECT_EQ(did_you_mean_hint("drop_table", operations), "");
}

// ---------------------------------------------------------------------------------------------
// Diagnostic formatting

TEST(FormatDiagnostic, WritesFileLineColumnSeverityAndMessage) {
    const Diagnostic d{Severity::error, {"plan.yaml", 3, 5}, "unknown operation \"x\"", ""};
    EXPECT_EQ(format(d), "plan.yaml:3:5: error: unknown operation \"x\"");
}

TEST(FormatDiagnostic, PutsTheHintOnItsOwnLineAtTheSameLocation) {
    const Diagnostic d{Severity::error,
                       {"plan.yaml", 3, 5},
                       "unknown operation \"rename_colum\"",
                       "did you mean \"rename_column\"?"};
    EXPECT_EQ(format(d), "plan.yaml:3:5: error: unknown operation \"rename_colum\"\n"
                         "plan.yaml:3:5: hint: did you mean \"rename_column\"?");
}

TEST(FormatDiagnostic, NamesWarningsAndNotes) {
    EXPECT_EQ(format({Severity::warning, {"p.yaml", 1, 2}, "slow", ""}),
              "p.yaml:1:2: warning: slow");
    EXPECT_EQ(format({Severity::note, {"p.yaml", 1, 2}, "fyi", ""}), "p.yaml:1:2: note: fyi");
}

TEST(FormatDiagnostic, LeavesOutAnUnknownColumnOrLine) {
    EXPECT_EQ(format({Severity::error, {"p.yaml", 4, 0}, "m", ""}), "p.yaml:4: error: m");
    EXPECT_EQ(format({Severity::error, {"p.yaml", 0, 0}, "cannot read plan file", "check"}),
              "p.yaml: error: cannot read plan file\np.yaml: hint: check");
}

TEST(FormatDiagnostic, NamesAPlanWithoutAFileAsPlan) {
    EXPECT_EQ(format({Severity::error, {"", 2, 1}, "m", ""}), "<plan>:2:1: error: m");
}

TEST(Diagnostics, ToStringEndsEveryDiagnosticWithANewlineInOrder) {
    Diagnostics diagnostics;
    diagnostics.error({"p.yaml", 2, 1}, "first", "try this");
    diagnostics.warning({"p.yaml", 5, 3}, "second");
    EXPECT_EQ(diagnostics.to_string(), "p.yaml:2:1: error: first\n"
                                       "p.yaml:2:1: hint: try this\n"
                                       "p.yaml:5:3: warning: second\n");
    ASSERT_EQ(diagnostics.all().size(), 2U);
    EXPECT_EQ(diagnostics.all()[0].message, "first");
    EXPECT_EQ(diagnostics.all()[1].severity, Severity::warning);
}

TEST(Diagnostics, ToStringIsEmptyWithoutDiagnostics) {
    EXPECT_EQ(Diagnostics{}.to_string(), "");
}

TEST(Diagnostics, HasErrorsOnlyWhenAnErrorWasReported) {
    Diagnostics diagnostics;
    EXPECT_FALSE(diagnostics.has_errors());
    diagnostics.warning({"p.yaml", 1, 1}, "w");
    diagnostics.note({"p.yaml", 1, 1}, "n");
    EXPECT_FALSE(diagnostics.has_errors());
    diagnostics.error({"p.yaml", 1, 1}, "e");
    EXPECT_TRUE(diagnostics.has_errors());
}

} // namespace
} // namespace pgphase::planners
