// The three output formats.
#include "planners/lint/render.hpp"
#include "tests/unit/planners/lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace pgphase::planners::lint::testing {
namespace {

LintResult one_finding() {
    LintOptions options;
    options.disabled = {"missing-lock-timeout"};
    return lint_sql("\n  ALTER TABLE t ALTER COLUMN a SET NOT NULL;", false, options);
}

TEST(LintRender, TextIsCompilerStyleWithStatementLockAndHint) {
    const std::string text = render_text(one_finding());
    EXPECT_EQ(text,
              "m.sql:2:3: error: [set-not-null] SET NOT NULL on t.a scans all of t under ACCESS "
              "EXCLUSIVE\n"
              "    | ALTER TABLE t ALTER COLUMN a SET NOT NULL\n"
              "    lock: ACCESS EXCLUSIVE (blocks reads and writes); scans the table\n"
              "    hint: ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c "
              "in a later transaction; then SET NOT NULL (no scan) and drop c\n"
              "1 error, 0 warnings, 0 infos in 1 file (1 statement)\n");
}

TEST(LintRender, TextShortensLongStatements) {
    const LintResult result = lint_sql("DELETE FROM t\n-- 1\n-- 2\n-- 3\n-- 4\n-- 5\n;");
    EXPECT_NE(render_text(result).find("    | -- 3\n    | ...\n"), std::string::npos);
}

TEST(LintRender, JsonCarriesEveryField) {
    const nlohmann::json out = render_json(one_finding());
    ASSERT_EQ(out.at("findings").size(), 1U);
    const auto& finding = out.at("findings")[0];
    EXPECT_EQ(finding.at("file"), "m.sql");
    EXPECT_EQ(finding.at("line"), 2);
    EXPECT_EQ(finding.at("column"), 3);
    EXPECT_EQ(finding.at("severity"), "error");
    EXPECT_EQ(finding.at("rule"), "set-not-null");
    EXPECT_EQ(finding.at("statement"), "ALTER TABLE t ALTER COLUMN a SET NOT NULL");
    EXPECT_EQ(finding.at("effect"), "scans the table");
    EXPECT_EQ(out.at("summary").at("errors"), 1);
    EXPECT_EQ(out.at("summary").at("files"), 1);
}

TEST(LintRender, JsonIsWrittenAsTheDocumentWouldDumpOneFindingAtATime) {
    LintResult result = lint_sql("ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
                                 "ALTER TABLE t DROP COLUMN \"b\"\"q\";\nSELEC 1;");
    result.input_errors.push_back("could not read \"x.sql\"");
    ASSERT_GE(result.findings.size(), 3U);
    for (const LintResult& each : {result, LintResult{}}) {
        EXPECT_EQ(render(each, OutputFormat::as_json),
                  render_json(each).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                      "\n");
    }
}

TEST(LintRender, GithubAnnotationsEscapeTheirPropertiesAndData) {
    LintResult result;
    Finding finding;
    finding.rule = "drop-table";
    finding.level = Level::warning;
    finding.mark = {"a,b:c.sql", 3, 1};
    finding.message = "100% lost";
    finding.hint = "think\nagain";
    result.findings.push_back(finding);
    finding.level = Level::info;
    result.findings.push_back(finding);
    EXPECT_EQ(render_github(result),
              "::warning file=a%2Cb%3Ac.sql,line=3,col=1,title=drop-table::100%25 lost%0Ahint: "
              "think%0Aagain\n"
              "::notice file=a%2Cb%3Ac.sql,line=3,col=1,title=drop-table::100%25 lost%0Ahint: "
              "think%0Aagain\n");
}

TEST(LintRender, GithubAnnotationsSpanAMultiLineStatement) {
    LintOptions options;
    options.disabled = {"missing-lock-timeout"};
    const LintResult result = lint_sql("ALTER TABLE t\n  DROP COLUMN a;", false, options);
    EXPECT_EQ(render_github(result).rfind(
                  "::error file=m.sql,line=1,endLine=2,col=1,title=drop-column::", 0),
              0U)
        << render_github(result);
}

} // namespace
} // namespace pgphase::planners::lint::testing
