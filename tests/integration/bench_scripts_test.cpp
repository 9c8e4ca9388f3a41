// scripts/bench-backfill.sh --plot as a developer runs it, at its smallest size: it starts a
// throwaway server of its own, runs two methods under app traffic and draws the chart
// (docs/performance.md shows one). The numbers are the benchmark's to report, not asserted
// here; what is checked is that every method and the no-backfill baseline have their series,
// that the chart is the SVG gnuplot wrote, and that start and verify are timed.
#include "tests/integration/support.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace pgphase::testing {
namespace {

class BenchScripts : public DatabaseTest {};

// The numbers in column `column` (1-based) of a whitespace-separated data file.
std::vector<double> column_of(const std::string& path, int column) {
    std::vector<double> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        double value = 0;
        for (int i = 0; i < column && fields >> value; ++i) {
        }
        if (fields) {
            out.push_back(value);
        }
    }
    return out;
}

TEST_F(BenchScripts, BackfillPlotDrawsASeriesPerMethodAndTheBaseline) {
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "gnuplot is not installed (scripts/deps.sh --test installs gnuplot-nox)";
    }
    const std::string source = PGPHASE_SOURCE_DIR;
    const std::string out = dir() + "/bench";
    const CommandResult run = run_script(
        dir(), "env -u PGPHASE_TEST_DSN -u PGPHASE_TEST_DSN_2 ROWS=10000 METHODS='raw pgphase' "
               "BASELINE_SECONDS=2 RATE=200 PGPHASE_BIN=" +
                   shell_quote(PGPHASE_BINARY) + " BENCH_OUT=" + shell_quote(out) + " bash " +
                   shell_quote(source + "/scripts/bench-backfill.sh") + " --plot 2>&1");
    ASSERT_EQ(run.exit_code, 0) << run.out;
    EXPECT_NE(run.out.find("chart: " + out + "/backfill-10000.svg"), std::string::npos) << run.out;
    // start's time, and verify's against one count(*) of the same rows (issue 15's targets).
    EXPECT_NE(run.out.find("10000 rows: pgphase start "), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("one count(*) of the rows that differ "), std::string::npos) << run.out;

    const std::string svg = read_file(out + "/backfill-10000.svg");
    EXPECT_EQ(svg.rfind("<?xml", 0), 0U) << svg.substr(0, 200);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    for (const std::string text : {"Filling a column of 10000 rows", ">raw<", ">pgphase<",
                                   ">no backfill<", "rows/s (WAL rate / WAL bytes per row)"}) {
        EXPECT_NE(svg.find(text), std::string::npos) << text;
    }
    for (const std::string method : {"raw", "pgphase"}) {
        const auto rates = column_of(out + "/n10000-" + method + ".rate.dat", 2);
        ASSERT_FALSE(rates.empty()) << method;
        for (const double rate : rates) {
            EXPECT_GT(rate, 0) << method;
        }
    }
    // raw takes some 30 ms at this size, when the app (200 transactions/s) may run none.
    EXPECT_FALSE(column_of(out + "/n10000-pgphase.latency.dat", 2).empty());
    EXPECT_FALSE(column_of(out + "/n10000-baseline.latency.dat", 2).empty());
}

} // namespace
} // namespace pgphase::testing
