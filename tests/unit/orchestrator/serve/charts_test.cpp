// The inline SVG charts: fixed viewBox, UTC time axis, units on values, throttle and pause
// bands coloured by reason with a legend, gaps where no batch ran, "no samples yet", escaping.
#include "orchestrator/serve/charts.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator::serve {
namespace {

constexpr std::int64_t dec_6_2026_15_00 = 1796569200000;

Sample sample(int seconds, double rate, std::string state = "running", std::string kind = "",
              std::string reason = "") {
    Sample s;
    s.at_ms = dec_6_2026_15_00 + seconds * 1000LL;
    s.rows_per_second = rate;
    s.batch_seconds = rate > 0 ? 0.2 : 0;
    s.batch_size = 1000;
    s.state = std::move(state);
    s.reason_kind = std::move(kind);
    s.reason = std::move(reason);
    return s;
}

// Thirty minutes, one sample a minute, throttled by replica lag from minute 10 to 12.
std::vector<Sample> half_hour() {
    std::vector<Sample> samples;
    for (int minute = 0; minute <= 30; ++minute) {
        const bool lagging = minute >= 10 && minute < 13;
        samples.push_back(lagging ? sample(minute * 60, 100, "throttled", "replica_lag",
                                           "replica lag 12 MB > 10 MB")
                                  : sample(minute * 60, 2000));
    }
    return samples;
}

std::size_t count(const std::string& text, std::string_view what) {
    std::size_t found = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++found;
    }
    return found;
}

TEST(ServeCharts, SaysNoSamplesYetForNoneOrOne) {
    for (const auto& samples : {std::vector<Sample>{}, std::vector<Sample>{sample(0, 10)}}) {
        for (const std::string& svg :
             {rows_per_second_chart(samples, "public.orders"), batch_time_chart(samples)}) {
            EXPECT_TRUE(svg.starts_with("<svg")) << svg;
            EXPECT_NE(svg.find("no samples yet</text>"), std::string::npos) << svg;
            EXPECT_NE(svg.find("<title>"), std::string::npos) << svg;
            EXPECT_EQ(svg.find("<path"), std::string::npos) << svg;
        }
    }
}

TEST(ServeCharts, IsAResponsiveSvgWithATitleAndNothingExternal) {
    const std::string svg = rows_per_second_chart(half_hour(), "public.orders");
    EXPECT_TRUE(svg.starts_with("<svg class=\"chart\" viewBox=\"0 0 480 216\" width=\"100%\""))
        << svg.substr(0, 120);
    EXPECT_TRUE(svg.ends_with("</svg>"));
    EXPECT_NE(svg.find("<title>Rows per second — public.orders</title>"), std::string::npos);
    EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
    for (const char* external : {"<script", "href", "url(", "http:", "https:", "<image"}) {
        EXPECT_EQ(svg.find(external), std::string::npos) << external;
    }
}

TEST(ServeCharts, ShadesThrottledSamplesWithTheirReasonInTheLegend) {
    const std::string svg = rows_per_second_chart(half_hour());
    EXPECT_EQ(count(svg, "class=\"band\""), 1U) << "three throttled samples in a row: one band";
    EXPECT_NE(svg.find("data-kind=\"replica_lag\""), std::string::npos);
    EXPECT_NE(svg.find("fill=\"" + std::string(throttle_colour("replica_lag")) + "\""),
              std::string::npos);
    EXPECT_NE(svg.find(">replica lag</text>"), std::string::npos) << "legend";
    EXPECT_NE(svg.find("<title>throttled: replica lag 12 MB &gt; 10 MB</title>"), std::string::npos)
        << "the band's tooltip gives the reason";
    EXPECT_EQ(svg.find("autovacuum"), std::string::npos) << "only reasons present are named";
}

TEST(ServeCharts, ShadesEachRunOfThrottlingSeparatelyAndNamesEveryReasonOnce) {
    std::vector<Sample> samples = half_hour();
    samples[20] = sample(20 * 60, 0, "paused", "pause", "paused by alice");
    samples[21] = sample(21 * 60, 0, "paused", "", "paused by alice");
    samples[25] = sample(25 * 60, 50, "throttled", "replica_lag");
    const std::string svg = rows_per_second_chart(samples);
    EXPECT_EQ(count(svg, "class=\"band\""), 3U);
    EXPECT_EQ(count(svg, "data-kind=\"pause\""), 1U) << "a pause without a kind is a pause";
    EXPECT_EQ(count(svg, ">replica lag</text>"), 1U);
    EXPECT_EQ(count(svg, ">pause</text>"), 1U);
    EXPECT_EQ(throttle_colour("no such kind"), "#999999");
}

TEST(ServeCharts, RunningSamplesAreNotShaded) {
    const std::vector<Sample> samples = {sample(0, 10), sample(60, 20), sample(120, 30)};
    const std::string svg = rows_per_second_chart(samples);
    EXPECT_EQ(svg.find("class=\"band\""), std::string::npos);
}

TEST(ServeCharts, LabelsTheTimeAxisInUtcHoursAndMinutes) {
    const std::string svg = rows_per_second_chart(half_hour());
    for (const char* tick : {">15:00</text>", ">15:10</text>", ">15:20</text>", ">15:30</text>"}) {
        EXPECT_NE(svg.find(tick), std::string::npos) << tick;
    }
    EXPECT_NE(svg.find(">UTC</text>"), std::string::npos);
}

TEST(ServeCharts, LabelsValuesWithTheirUnits) {
    const std::string rows = rows_per_second_chart(half_hour());
    EXPECT_NE(rows.find(">rows/s</text>"), std::string::npos);
    EXPECT_NE(rows.find(">2k</text>"), std::string::npos) << "the peak, 2000 rows/s";
    EXPECT_NE(rows.find("peak 2k rows/s"), std::string::npos) << "the description";
    const std::string batches = batch_time_chart(half_hour());
    EXPECT_NE(batches.find(">200ms</text>"), std::string::npos) << batches;
    EXPECT_NE(batches.find("<title>Mean batch time</title>"), std::string::npos);
}

TEST(ServeCharts, LeavesAGapWhereNoBatchRan) {
    std::vector<Sample> samples = {sample(0, 100), sample(60, 100), sample(120, 0),
                                   sample(180, 100), sample(240, 100)};
    const std::string svg = batch_time_chart(samples);
    const auto path = svg.find("<path d=\"");
    ASSERT_NE(path, std::string::npos);
    const std::string d = svg.substr(path, svg.find('"', path + 9) - path);
    EXPECT_EQ(count(d, "M"), 2U) << d;
    EXPECT_EQ(count(d, "L"), 2U) << d;
    // The rows/s line goes through the zero: no rows in that interval is a value.
    const std::string rows = rows_per_second_chart(samples);
    EXPECT_EQ(count(rows, " M"), 0U);
}

TEST(ServeCharts, DrawsALonePointAsADot) {
    const std::vector<Sample> samples = {sample(0, 0), sample(60, 100), sample(120, 0)};
    const std::string svg = batch_time_chart(samples);
    EXPECT_EQ(svg.find("<path"), std::string::npos);
    EXPECT_EQ(count(svg, "<circle"), 1U);
}

TEST(ServeCharts, SamplesAtOneInstantDoNotDivideByZero) {
    const std::vector<Sample> samples = {sample(0, 0), sample(0, 0)};
    for (const std::string& svg : {rows_per_second_chart(samples), batch_time_chart(samples)}) {
        EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
        EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
        EXPECT_EQ(svg.find("n/a"), std::string::npos) << svg;
    }
}

TEST(ServeCharts, EscapesHostileReasonsKindsAndSubjects) {
    std::vector<Sample> samples = half_hour();
    samples[5] = sample(300, 10, "throttled", "<script>alert(1)</script>",
                        "\"quo\"\"te\" a&b <b>ünïcødé</b>");
    const std::string svg = rows_per_second_chart(samples, "<script>alert(2)</script> Mixed Case");
    EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
    EXPECT_EQ(svg.find("<b>"), std::string::npos);
    EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;</text>"), std::string::npos)
        << "the unknown kind in the legend";
    EXPECT_NE(svg.find("data-kind=\"&lt;script&gt;alert(1)&lt;/script&gt;\""), std::string::npos);
    EXPECT_NE(svg.find("&quot;quo&quot;&quot;te&quot; a&amp;b &lt;b&gt;ünïcødé&lt;/b&gt;"),
              std::string::npos);
    EXPECT_NE(svg.find("<title>Rows per second — &lt;script&gt;alert(2)&lt;/script&gt; Mixed "
                       "Case</title>"),
              std::string::npos);
}

} // namespace
} // namespace pgphase::orchestrator::serve
