// The SQL template renderer: placeholders, brace escapes, and the errors that catch a template
// and its values drifting apart.
#include "planners/sql/template.hpp"

#include <gtest/gtest.h>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace pgphase::planners {
namespace {

// An unquoted string cannot become a value: it has to go through a quoting helper.
static_assert(!std::is_convertible_v<std::string, Quoted>);
static_assert(!std::is_convertible_v<const char*, Quoted>);
static_assert(!std::is_constructible_v<Quoted, std::string>);

std::string logic_error_of(const auto& render) {
    try {
        render();
    } catch (const std::logic_error& error) {
        return error.what();
    }
    return "no error";
}

TEST(SqlTemplate, ReplacesEachPlaceholderWithItsQuotedValue) {
    const Quoted sql = render_sql(R"sql(UPDATE {table} SET {column} = {value}
WHERE {column} IS NULL)sql",
                                  {{"table", qualified({"app", "my table"})},
                                   {"column", ident("we\"ird")},
                                   {"value", literal("it's")}});
    EXPECT_EQ(sql.str(), "UPDATE \"app\".\"my table\" SET \"we\"\"ird\" = 'it''s'\n"
                         "WHERE \"we\"\"ird\" IS NULL");
}

TEST(SqlTemplate, NestsRenderedFragmentsAndEmptyParts) {
    const Quoted condition = render_sql("{a} <> {b}", {{"a", ident("x")}, {"b", literal("y")}});
    EXPECT_EQ(render_sql("WHERE {condition}{more}", {{"condition", condition}, {"more", {}}}).str(),
              "WHERE \"x\" <> 'y'");
}

TEST(SqlTemplate, DoubledBracesWriteOneBrace) {
    EXPECT_EQ(render_sql("SELECT '{{1,2}}'::int[], {a}", {{"a", ident("a")}}).str(),
              "SELECT '{1,2}'::int[], \"a\"");
    EXPECT_EQ(render_sql("{{{a}}}", {{"a", ident("a")}}).str(), "{\"a\"}");
}

TEST(SqlTemplate, RefusesAPlaceholderWithoutValueNamingItAndTheTemplate) {
    EXPECT_EQ(logic_error_of([] {
                  render_sql("DROP TABLE {table}", {{"tabel", ident("t")}});
              }),
              "sql template: no value for placeholder {table} in template \"DROP TABLE {table}\"");
}

TEST(SqlTemplate, RefusesAValueNoPlaceholderUses) {
    EXPECT_EQ(logic_error_of([] {
                  render_sql("\nDROP TABLE {table}\nCASCADE",
                             {{"table", ident("t")}, {"column", ident("c")}});
              }),
              "sql template: value {column} is not used in template \"DROP TABLE {table}\"");
}

TEST(SqlTemplate, RefusesAValueGivenTwice) {
    EXPECT_EQ(logic_error_of([] {
                  render_sql("{a}", {{"a", ident("x")}, {"a", ident("y")}});
              }),
              "sql template: value {a} given twice in template \"{a}\"");
}

TEST(SqlTemplate, RefusesLoneBraces) {
    EXPECT_EQ(logic_error_of([] { render_sql("SELECT '{1,2}'", {}); }),
              "sql template: lone '{' at offset 8 (write '{{') in template \"SELECT '{1,2}'\"");
    EXPECT_EQ(logic_error_of([] { render_sql("SELECT 1}", {}); }),
              "sql template: lone '}' at offset 8 (write '}}') in template \"SELECT 1}\"");
    EXPECT_EQ(logic_error_of([] {
                  render_sql("SELECT {a", {{"a", ident("a")}});
              }),
              "sql template: lone '{' at offset 7 (write '{{') in template \"SELECT {a\"");
    EXPECT_EQ(logic_error_of([] { render_sql("{ a }", {}); }),
              "sql template: lone '{' at offset 0 (write '{{') in template \"{ a }\"");
}

TEST(SqlTemplate, TakesParsedExpressionsAndTypesAsTheirCanonicalSql) {
    const Expression up{"lower( email )", "lower(email)", {"email"}, false, {}};
    const TypeName type{"VARCHAR(20)", "varchar(20)", {}};
    EXPECT_EQ(
        render_sql("{up}::{type}", {{"up", expression_sql(up)}, {"type", type_sql(type)}}).str(),
        "lower(email)::varchar(20)");
}

} // namespace
} // namespace pgphase::planners
