// Quoting and derived names: every identifier and string reaches SQL quoted, derived names
// fit PostgreSQL's 63-byte limit without colliding or splitting a character.
#include "planners/sql/expression.hpp"
#include "planners/sql/quote.hpp"

#include <gtest/gtest.h>
#include <string>
#include <variant>

namespace pgphase::planners {
namespace {

// True when `text` is well-formed UTF-8 (no truncated or stray continuation bytes).
bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 1;
        if (lead >= 0xF0U && lead <= 0xF4U) {
            length = 4;
        } else if (lead >= 0xE0U) {
            length = 3;
        } else if (lead >= 0xC2U) {
            length = 2;
        } else if (lead >= 0x80U) {
            return false;
        }
        if (i + length > text.size()) {
            return false;
        }
        for (std::size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0U) != 0x80U) {
                return false;
            }
        }
        i += length;
    }
    return true;
}

std::string repeat(const std::string& piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) {
        out += piece;
    }
    return out;
}

// The string constant PostgreSQL reads from `quoted`, as its canonical '...' literal.
std::string literal_read_back(const std::string& quoted) {
    auto parsed = parse_expression(quoted, {});
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        return "<parse error: " + error->message + ">";
    }
    const auto& expression = std::get<Expression>(parsed);
    return expression.is_constant ? expression.sql : "<not a constant: " + expression.sql + ">";
}

// ---------------------------------------------------------------------------------------------
// quote_ident / quote_literal

TEST(QuoteIdent, AlwaysDoubleQuotesEvenPlainNames) {
    EXPECT_EQ(quote_ident("users"), "\"users\"");
}

TEST(QuoteIdent, QuotesReservedWordsAndMixedCase) {
    EXPECT_EQ(quote_ident("select"), "\"select\"");
    EXPECT_EQ(quote_ident("Mixed Case"), "\"Mixed Case\"");
}

TEST(QuoteIdent, DoublesEmbeddedDoubleQuotes) {
    EXPECT_EQ(quote_ident("we\"ird"), "\"we\"\"ird\"");
    EXPECT_EQ(quote_ident("\""), "\"\"\"\"");
}

TEST(QuoteIdent, LeavesSingleQuotesAndUtf8Alone) {
    EXPECT_EQ(quote_ident("it's"), "\"it's\"");
    EXPECT_EQ(quote_ident("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
}

TEST(QuoteIdent, ProducesAnIdentifierThePostgresParserReadsBackExactly) {
    for (const char* name : {"select", "Mixed Case", "quo\"te", "we\"\"ird"}) {
        SCOPED_TRACE(name);
        auto parsed = parse_expression(quote_ident(name), {});
        ASSERT_TRUE(std::holds_alternative<Expression>(parsed));
        EXPECT_EQ(std::get<Expression>(parsed).column_refs, std::vector<std::string>{name});
    }
}

TEST(QuoteLiteral, DoublesEmbeddedSingleQuotes) {
    EXPECT_EQ(quote_literal("it's"), "'it''s'");
    EXPECT_EQ(quote_literal("''"), "''''''");
}

TEST(QuoteLiteral, QuotesTheEmptyString) {
    EXPECT_EQ(quote_literal(""), "''");
}

TEST(QuoteLiteral, KeepsBackslashesAsStandardConformingStringsDo) {
    EXPECT_EQ(quote_literal("a\\b"), "'a\\b'");
    // The parser reads back one string constant, the same one a dollar-quoted spelling gives.
    const std::string hostile = "a\\'; DROP TABLE t; --";
    const std::string read_back = literal_read_back(quote_literal(hostile));
    EXPECT_EQ(read_back.rfind('<', 0), std::string::npos) << read_back;
    EXPECT_EQ(read_back, literal_read_back("$q$" + hostile + "$q$"));
}

// ---------------------------------------------------------------------------------------------
// identifier_problem

TEST(IdentifierProblem, RejectsTheEmptyName) {
    EXPECT_EQ(identifier_problem(""), "an identifier cannot be empty");
}

TEST(IdentifierProblem, AcceptsSixtyThreeBytes) {
    EXPECT_EQ(identifier_problem(std::string(63, 'a')), std::nullopt);
}

TEST(IdentifierProblem, RejectsSixtyFourBytes) {
    EXPECT_EQ(identifier_problem(std::string(64, 'a')),
              "identifier is 64 bytes long; PostgreSQL allows at most 63");
}

TEST(IdentifierProblem, CountsBytesNotCharacters) {
    // 31 two-byte characters are 62 bytes; 32 are 64.
    EXPECT_EQ(identifier_problem(repeat("\xC3\xA9", 31)), std::nullopt);
    EXPECT_EQ(identifier_problem(repeat("\xC3\xA9", 32)),
              "identifier is 64 bytes long; PostgreSQL allows at most 63");
}

TEST(IdentifierProblem, RejectsAnEmbeddedNul) {
    EXPECT_EQ(identifier_problem(std::string("a\0b", 3)),
              "an identifier cannot contain a NUL character");
}

TEST(IdentifierProblem, AcceptsHostileButValidNames) {
    for (const char* name : {"select", "Mixed Case", "quo\"te", "it's", " "}) {
        SCOPED_TRACE(name);
        EXPECT_EQ(identifier_problem(name), std::nullopt);
    }
}

// ---------------------------------------------------------------------------------------------
// derived_name

TEST(DerivedName, JoinsShortPartsWithUnderscores) {
    EXPECT_EQ(derived_name({"pgphase", "users", "email"}), "pgphase_users_email");
    EXPECT_EQ(derived_name({"only"}), "only");
}

TEST(DerivedName, KeepsANameOfExactlySixtyThreeBytes) {
    const std::string a(31, 'a');
    const std::string b(31, 'b');
    EXPECT_EQ(derived_name({a, b}), a + "_" + b);
}

TEST(DerivedName, CutsALongNameAndAppendsAHashOfTheWholeName) {
    const std::string table(40, 't');
    const std::string column(40, 'c');
    const std::string joined = "pgphase_" + table + "_" + column;
    const std::string name = derived_name({"pgphase", table, column});
    EXPECT_EQ(name.size(), 63U);
    EXPECT_EQ(identifier_problem(name), std::nullopt);
    const std::string suffix = "_" + fnv1a_hex(joined).substr(0, 8);
    EXPECT_EQ(name, joined.substr(0, 63 - suffix.size()) + suffix);
}

TEST(DerivedName, IsStableAcrossCalls) {
    const std::string long_part(80, 'x');
    EXPECT_EQ(derived_name({"pgphase", long_part, "sync"}),
              derived_name({"pgphase", long_part, "sync"}));
}

TEST(DerivedName, GivesDifferentNamesToLongInputsThatDifferOnlyPastTheCut) {
    const std::string prefix(70, 'x');
    const std::string first = derived_name({prefix, "sync_old"});
    const std::string second = derived_name({prefix, "sync_new"});
    EXPECT_NE(first, second);
    EXPECT_LE(first.size(), 63U);
    EXPECT_LE(second.size(), 63U);
}

TEST(DerivedName, NeverSplitsAMultibyteCharacter) {
    // The cut falls at byte 54: inside a two-byte char (after "a"), on a boundary, and inside
    // three- and four-byte chars.
    for (const std::string& part :
         {"a" + repeat("\xC3\xA9", 40), repeat("\xC3\xA9", 40), repeat("\xE2\x82\xAC", 30),
          "a" + repeat("\xE2\x82\xAC", 30), "ab" + repeat("\xF0\x9F\x98\x80", 20)}) {
        const std::string name = derived_name({part});
        EXPECT_LE(name.size(), 63U);
        EXPECT_TRUE(valid_utf8(name)) << name;
        const std::string kept = name.substr(0, name.size() - 9);
        EXPECT_EQ(part.substr(0, kept.size()), kept);
        EXPECT_EQ(name.substr(name.size() - 9), "_" + fnv1a_hex(part).substr(0, 8));
    }
}

// ---------------------------------------------------------------------------------------------
// dollar_quote

TEST(DollarQuote, WrapsTheBodyInThePgphaseTag) {
    EXPECT_EQ(dollar_quote("BEGIN RETURN NEW; END;"), "$pgphase$BEGIN RETURN NEW; END;$pgphase$");
}

TEST(DollarQuote, PicksANumberedTagWhenTheBodyContainsTheDefaultOne) {
    EXPECT_EQ(dollar_quote("a $pgphase$ b"), "$pgphase1$a $pgphase$ b$pgphase1$");
    EXPECT_EQ(dollar_quote("$pgphase$ $pgphase1$"), "$pgphase2$$pgphase$ $pgphase1$$pgphase2$");
}

TEST(DollarQuote, IsReadBackByPostgresAsExactlyTheBody) {
    for (const char* body : {"BEGIN RETURN NEW; END;", "it's", "", "$", "$$", "a $pgphase$ b",
                             "$pgphase$ $pgphase1$", "x$pgphase1", "tab\there"}) {
        SCOPED_TRACE(body);
        EXPECT_EQ(literal_read_back(dollar_quote(body)), quote_literal(body));
    }
}

// Regression (fixed): a body ending in "$pgphase" does not contain the tag "$pgphase$", so
// dollar_quote (quote.cpp:85) keeps it; but the body's tail plus the closing tag's first '$' spell
// the tag, so PostgreSQL ends the string early: "$pgphase$x$pgphase$pgphase$" reads as the string
// 'x' followed by a stray "pgphase$" (parsed as an alias).
TEST(DollarQuote, IsReadBackExactlyWhenTheBodyEndsWithThePartialTag) {
    for (const char* body : {"x$pgphase", "a $pgphase$ b $pgphase1"}) {
        SCOPED_TRACE(body);
        EXPECT_EQ(literal_read_back(dollar_quote(body)), quote_literal(body));
    }
}

// ---------------------------------------------------------------------------------------------
// fnv1a_hex

TEST(Fnv1aHex, MatchesTheReferenceValues) {
    EXPECT_EQ(fnv1a_hex(""), "cbf29ce484222325");
    EXPECT_EQ(fnv1a_hex("a"), "af63dc4c8601ec8c");
    EXPECT_EQ(fnv1a_hex("foobar"), "85944171f73967e8");
}

TEST(Fnv1aHex, IsAlwaysSixteenLowercaseHexDigits) {
    for (const char* text : {"", "x", "pgphase", "\xFF\xFE"}) {
        const std::string hex = fnv1a_hex(text);
        EXPECT_EQ(hex.size(), 16U);
        EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
    }
}

} // namespace
} // namespace pgphase::planners
