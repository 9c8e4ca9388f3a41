// Expressions and type names from plans go through the PostgreSQL parser: exactly one scalar
// expression (or type), rendered canonically, with the columns it reads.
#include "planners/sql/expression.hpp"

#include <gtest/gtest.h>
#include <string>
#include <variant>
#include <vector>

namespace pgphase::planners {
namespace {

const SourceMark here{"plan.yaml", 7, 9};

// The parsed expression, or a test failure naming the parser's complaint.
Expression expression_of(const std::string& text) {
    auto parsed = parse_expression(text, here);
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        ADD_FAILURE() << "\"" << text << "\" did not parse: " << error->message;
        return {};
    }
    return std::get<Expression>(parsed);
}

// The parser's complaint about `text`, or a test failure if it parsed.
ParseError error_of(const std::string& text) {
    auto parsed = parse_expression(text, here);
    if (const auto* expression = std::get_if<Expression>(&parsed)) {
        ADD_FAILURE() << "\"" << text << "\" parsed as " << expression->sql;
        return {};
    }
    return std::get<ParseError>(parsed);
}

std::string type_sql(const std::string& text) {
    auto parsed = parse_type_name(text, here);
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        ADD_FAILURE() << "type \"" << text << "\" did not parse: " << error->message;
        return {};
    }
    return std::get<TypeName>(parsed).sql;
}

ParseError type_error_of(const std::string& text) {
    auto parsed = parse_type_name(text, here);
    if (const auto* type = std::get_if<TypeName>(&parsed)) {
        ADD_FAILURE() << "type \"" << text << "\" parsed as " << type->sql;
        return {};
    }
    return std::get<ParseError>(parsed);
}

// ---------------------------------------------------------------------------------------------
// parse_expression: accepted

TEST(ParseExpression, CanonicalisesAFunctionCallAndListsTheColumnItReads) {
    const Expression e = expression_of("upper(legacy_currency)");
    EXPECT_EQ(e.source, "upper(legacy_currency)");
    EXPECT_EQ(e.sql, "upper(legacy_currency)");
    EXPECT_EQ(e.column_refs, std::vector<std::string>{"legacy_currency"});
    EXPECT_FALSE(e.is_constant);
}

TEST(ParseExpression, KeepsTheSourceMarkItWasGiven) {
    const Expression e = expression_of("1");
    EXPECT_EQ(e.mark.file, "plan.yaml");
    EXPECT_EQ(e.mark.line, 7);
    EXPECT_EQ(e.mark.column, 9);
}

TEST(ParseExpression, TreatsAStringLiteralAsConstant) {
    const Expression e = expression_of("'USD'");
    EXPECT_EQ(e.sql, "'USD'");
    EXPECT_TRUE(e.is_constant);
    EXPECT_TRUE(e.column_refs.empty());
}

TEST(ParseExpression, TreatsACastLiteralAsConstant) {
    const Expression e = expression_of("'1'::int");
    EXPECT_EQ(e.sql, "'1'::int");
    EXPECT_TRUE(e.is_constant);
}

TEST(ParseExpression, TreatsNumbersAndNullAsConstant) {
    EXPECT_TRUE(expression_of("42").is_constant);
    EXPECT_TRUE(expression_of("-1").is_constant);
    EXPECT_TRUE(expression_of("NULL").is_constant);
}

TEST(ParseExpression, DoesNotTreatAFunctionCallAsConstant) {
    const Expression e = expression_of("now()");
    EXPECT_EQ(e.sql, "now()");
    EXPECT_FALSE(e.is_constant);
    EXPECT_TRUE(e.column_refs.empty());
}

TEST(ParseExpression, DoesNotTreatAnOperatorOverLiteralsAsConstant) {
    EXPECT_FALSE(expression_of("'x'::text || 'y'").is_constant);
}

TEST(ParseExpression, ListsColumnRefsInOrderOfFirstUseWithoutDuplicates) {
    const Expression e = expression_of("b + a + b");
    EXPECT_EQ(e.sql, "(b + a) + b");
    EXPECT_EQ(e.column_refs, (std::vector<std::string>{"b", "a"}));
}

TEST(ParseExpression, ListsColumnsInsideFunctionArguments) {
    const Expression e = expression_of("coalesce(nickname, first_name || ' ' || last_name)");
    EXPECT_EQ(e.column_refs, (std::vector<std::string>{"nickname", "first_name", "last_name"}));
}

TEST(ParseExpression, KeepsQuotedColumnNamesExactly) {
    const Expression e = expression_of("\"Mixed Case\" || lower(\"select\")");
    EXPECT_EQ(e.sql, "\"Mixed Case\" || lower(\"select\")");
    EXPECT_EQ(e.column_refs, (std::vector<std::string>{"Mixed Case", "select"}));
}

TEST(ParseExpression, StripsCommentsFromItsSql) {
    const Expression e = expression_of("b /* why */ + a -- trailing");
    EXPECT_EQ(e.source, "b /* why */ + a -- trailing");
    EXPECT_EQ(e.sql, "b + a");
    EXPECT_EQ(e.column_refs, (std::vector<std::string>{"b", "a"}));
}

TEST(ParseExpression, RendersStringLiteralsSafelyWhateverTheirSpelling) {
    EXPECT_EQ(expression_of("'it''s'").sql, "'it''s'");
    EXPECT_EQ(expression_of("$$it's$$").sql, "'it''s'");
}

TEST(ParseExpression, DropsASingleTrailingSemicolon) {
    const Expression e = expression_of("x;");
    EXPECT_EQ(e.sql, "x");
    EXPECT_EQ(e.column_refs, std::vector<std::string>{"x"});
}

// ---------------------------------------------------------------------------------------------
// parse_expression: rejected

TEST(ParseExpression, RejectsTwoStatements) {
    EXPECT_EQ(error_of("x; DROP TABLE t").message, "expected one expression, found 2 statements");
}

TEST(ParseExpression, RejectsTwoExpressions) {
    EXPECT_EQ(error_of("a, b").message, "expected one expression, found 2");
}

TEST(ParseExpression, RejectsQueryClauses) {
    EXPECT_EQ(error_of("1 FROM users").message,
              "expected one expression, found a query clause (fromClause)");
    EXPECT_EQ(error_of("1 WHERE true").message,
              "expected one expression, found a query clause (whereClause)");
    EXPECT_EQ(error_of("x ORDER BY 1").message,
              "expected one expression, found a query clause (sortClause)");
    EXPECT_EQ(error_of("1 LIMIT 1").message,
              "expected one expression, found a query clause (limitCount)");
    EXPECT_EQ(error_of("1 UNION SELECT 2").message,
              "expected one expression, found a query clause (larg)");
}

TEST(ParseExpression, RejectsAnAlias) {
    EXPECT_EQ(error_of("x AS y").message, "an expression cannot carry an alias");
}

TEST(ParseExpression, RejectsQualifiedAndStarColumnReferences) {
    for (const char* text : {"users.email", "public.users.email", "*", "t.*"}) {
        SCOPED_TRACE(text);
        EXPECT_EQ(error_of(text).message, "column references must be unqualified column names");
    }
}

TEST(ParseExpression, ReportsTheOffsetOfASyntaxErrorWithinTheExpression) {
    const ParseError end = error_of("a +");
    EXPECT_EQ(end.message, "syntax error at end of input");
    EXPECT_EQ(end.offset, 3);

    const ParseError paren = error_of("'a' )");
    EXPECT_EQ(paren.message, "syntax error at or near \")\"");
    EXPECT_EQ(paren.offset, 4);
}

TEST(ParseExpression, RejectsAStatementThatIsNotAnExpression) {
    const ParseError e = error_of("DROP TABLE t");
    EXPECT_EQ(e.message, "syntax error at or near \"t\"");
    EXPECT_EQ(e.offset, 11);
}

// Regression (fixed): an empty or comment-only expression parses as "SELECT " with no target list,
// and single_target() (expression.cpp:72, select.at("targetList")) throws
// nlohmann::json::out_of_range instead of returning a ParseError.
TEST(ParseExpression, RejectsAnEmptyExpressionWithAParseError) {
    for (const char* text : {"", "   ", "-- nothing"}) {
        SCOPED_TRACE(text);
        std::variant<Expression, ParseError> parsed = ParseError{};
        EXPECT_NO_THROW(parsed = parse_expression(text, here));
        EXPECT_TRUE(std::holds_alternative<ParseError>(parsed));
    }
}

// ---------------------------------------------------------------------------------------------
// parse_type_name

TEST(ParseTypeName, CanonicalisesValidTypeNames) {
    EXPECT_EQ(type_sql("varchar(20)"), "varchar(20)");
    EXPECT_EQ(type_sql("character varying(20)"), "varchar(20)");
    EXPECT_EQ(type_sql("timestamptz"), "timestamptz");
    EXPECT_EQ(type_sql("text[]"), "text[]");
    EXPECT_EQ(type_sql("\"Mixed Case\""), "\"Mixed Case\"");
    EXPECT_EQ(type_sql("numeric(10,2)"), "numeric(10, 2)");
    EXPECT_EQ(type_sql("double precision"), "double precision");
}

TEST(ParseTypeName, KeepsTheSourceAndMark) {
    auto parsed = parse_type_name("numeric(10,2)", here);
    ASSERT_TRUE(std::holds_alternative<TypeName>(parsed));
    const auto& type = std::get<TypeName>(parsed);
    EXPECT_EQ(type.source, "numeric(10,2)");
    EXPECT_EQ(type.mark.line, 7);
    EXPECT_EQ(type.mark.column, 9);
}

TEST(ParseTypeName, RejectsAnInjectedStatement) {
    EXPECT_EQ(type_error_of("text; drop table x").message, "expected one type name");
}

TEST(ParseTypeName, RejectsTwoTypes) {
    EXPECT_EQ(type_error_of("int, int").message, "expected one type name");
}

TEST(ParseTypeName, RejectsTextThatIsNotATypeName) {
    EXPECT_EQ(type_error_of("not a type at all").message, "syntax error at or near \"not\"");
    EXPECT_EQ(type_error_of("'x'").message, "syntax error at or near \"'x'\"");
    EXPECT_EQ(type_error_of("").message, "syntax error at end of input");
}

} // namespace
} // namespace pgphase::planners
