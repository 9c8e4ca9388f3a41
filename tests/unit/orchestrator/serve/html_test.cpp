// The shared helpers of the serve renderers: escaping, locale-free numbers, UTC times, the
// throttle kind of a state and the JSON readers that never throw.
#include "orchestrator/serve/html.hpp"

#include <gtest/gtest.h>
#include <limits>

namespace pgphase::orchestrator::serve {
namespace {

constexpr std::int64_t dec_6_2026_15_04_05 = 1796569445000;

TEST(ServeHtml, EscapesTheFiveHtmlSpecialCharacters) {
    EXPECT_EQ(html_escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
    EXPECT_EQ(html_escape("\"quo\"\"te\""), "&quot;quo&quot;&quot;te&quot;");
    EXPECT_EQ(html_escape("a&b"), "a&amp;b");
    EXPECT_EQ(html_escape("it's"), "it&#39;s");
    EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");
}

TEST(ServeHtml, LeavesMixedCaseAndUnicodeAsTheyAre) {
    EXPECT_EQ(html_escape("Mixed Case"), "Mixed Case");
    EXPECT_EQ(html_escape("ünïcødé — 数据"), "ünïcødé — 数据");
}

TEST(ServeHtml, ReplacesInvalidUtf8WithTheReplacementCharacter) {
    EXPECT_EQ(valid_utf8("a\xff"
                         "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong '/'
    EXPECT_EQ(valid_utf8("\xED\xA0\x80"),
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");                   // a UTF-16 surrogate
    EXPECT_EQ(valid_utf8("end\xE2\x82"), "end\xEF\xBF\xBD\xEF\xBF\xBD"); // cut short
    EXPECT_EQ(valid_utf8("€ 𝄞"), "€ 𝄞");
    EXPECT_EQ(html_escape("<\xff>"), "&lt;\xEF\xBF\xBD&gt;");
}

TEST(ServeHtml, FillsNamedPlaceholdersInOnePass) {
    EXPECT_EQ(fill(R"(<a href="{href}">{text}</a>)", {{"href", "/x"}, {"text", "{href}"}}),
              R"(<a href="/x">{href}</a>)")
        << "a value is never scanned for placeholders";
    EXPECT_EQ(fill("{a}{a} {unknown} {", {{"a", "1"}}), "11 {unknown} {");
    EXPECT_EQ(fill("", {}), "");
}

TEST(ServeHtml, FormatsCountsWithThousandsSeparators) {
    EXPECT_EQ(format_count(0), "0");
    EXPECT_EQ(format_count(999), "999");
    EXPECT_EQ(format_count(1000), "1,000");
    EXPECT_EQ(format_count(1234567), "1,234,567");
    EXPECT_EQ(format_count(-1234), "-1,234");
    EXPECT_EQ(format_count(std::numeric_limits<std::int64_t>::min()), "-9,223,372,036,854,775,808");
}

TEST(ServeHtml, FormatsDecimalsWithoutLocaleOrExponent) {
    EXPECT_EQ(format_decimal(2.345, 1), "2.3");
    EXPECT_EQ(format_decimal(1e7, 1), "10000000.0");
    EXPECT_EQ(format_decimal(-0.01, 1), "0.0");
    EXPECT_EQ(format_decimal(std::numeric_limits<double>::quiet_NaN(), 1), "n/a");
}

TEST(ServeHtml, FormatsSecondsAsTwoUnitsRoundedUp) {
    EXPECT_EQ(format_seconds(0), "0s");
    EXPECT_EQ(format_seconds(41.2), "42s");
    EXPECT_EQ(format_seconds(185), "3m 05s");
    EXPECT_EQ(format_seconds(3720), "1h 02m");
    EXPECT_EQ(format_seconds(3721), "1h 03m");
    EXPECT_EQ(format_seconds(86399.5), "1d 00h");
    EXPECT_EQ(format_seconds(601200), "6d 23h");
    EXPECT_EQ(format_seconds(-5), "0s");
}

TEST(ServeHtml, FormatsPercentWithoutClaimingDoneEarly) {
    EXPECT_EQ(format_percent(0.425), "42.5%");
    EXPECT_EQ(format_percent(0.99999), "99.9%");
    EXPECT_EQ(format_percent(1), "100.0%");
    EXPECT_EQ(format_percent(-0.5), "0.0%");
    EXPECT_EQ(format_percent(2), "100.0%");
}

TEST(ServeHtml, FormatsEpochMillisecondsAsUtc) {
    EXPECT_EQ(format_timestamp(dec_6_2026_15_04_05), "2026-12-06 15:04:05Z");
    EXPECT_EQ(format_timestamp(dec_6_2026_15_04_05 + 999), "2026-12-06 15:04:05Z");
    EXPECT_EQ(format_timestamp(0), "1970-01-01 00:00:00Z");
    EXPECT_EQ(format_timestamp(-1000), "1969-12-31 23:59:59Z");
    EXPECT_EQ(format_clock(dec_6_2026_15_04_05), "15:04");
    EXPECT_EQ(format_clock(dec_6_2026_15_04_05, true), "15:04:05");
}

TEST(ServeHtml, NamesTheThrottleKindOfAState) {
    EXPECT_EQ(throttle_kind("running", ""), "");
    EXPECT_EQ(throttle_kind("done", "replica_lag"), "");
    EXPECT_EQ(throttle_kind("throttled", "replica_lag"), "replica_lag");
    EXPECT_EQ(throttle_kind("paused", ""), "pause");
    EXPECT_EQ(throttle_kind("throttled", ""), "unknown");
}

TEST(ServeHtml, JsonReadersTreatMissingOrMistypedFieldsAsAbsent) {
    const nlohmann::json status = {
        {"name", "x"},    {"steps", 3},      {"ratio", 0.5},  {"whole", 2.0},
        {"paused", true}, {"null", nullptr}, {"text", "yes"}, {"huge", 18446744073709551615ULL}};
    EXPECT_EQ(json_text(status, "name"), "x");
    EXPECT_EQ(json_text(status, "steps"), std::nullopt);
    EXPECT_EQ(json_text(status, "missing"), std::nullopt);
    EXPECT_EQ(json_integer(status, "steps"), 3);
    EXPECT_EQ(json_integer(status, "whole"), 2);
    EXPECT_EQ(json_integer(status, "huge"), std::nullopt);
    EXPECT_EQ(json_integer(status, "text"), std::nullopt);
    EXPECT_EQ(json_number(status, "ratio"), 0.5);
    EXPECT_EQ(json_number(status, "null"), std::nullopt);
    EXPECT_TRUE(json_flag(status, "paused"));
    EXPECT_FALSE(json_flag(status, "text"));
    EXPECT_FALSE(json_flag(status, "missing"));
    EXPECT_EQ(json_text(nlohmann::json::array(), "name"), std::nullopt);
    EXPECT_FALSE(json_flag(nlohmann::json(), "paused"));
}

} // namespace
} // namespace pgphase::orchestrator::serve
