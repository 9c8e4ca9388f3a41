// The Prometheus exposition: one HELP and TYPE per family even without series, escaped label
// values, every phase and reason as a series, a cumulative histogram whose +Inf is its count,
// numbers Prometheus parses.
#include "orchestrator/serve/metrics.hpp"

#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <sstream>

namespace pgphase::orchestrator::serve {
namespace {

const std::vector<std::string> families = {"pgphase_migration_phase",
                                           "pgphase_migration_steps_done",
                                           "pgphase_migration_steps",
                                           "pgphase_migration_paused",
                                           "pgphase_migration_soak_remaining_seconds",
                                           "pgphase_backfill_rows_done",
                                           "pgphase_backfill_rows_estimated",
                                           "pgphase_backfill_progress_ratio",
                                           "pgphase_backfill_rows_per_second",
                                           "pgphase_backfill_eta_seconds",
                                           "pgphase_backfill_batch_size",
                                           "pgphase_backfill_throttled",
                                           "pgphase_backfill_batch_seconds",
                                           "pgphase_lock_retries_total",
                                           "pgphase_migrations"};

MigrationView migration(const std::string& name, const std::string& phase = "backfilling") {
    MigrationView view;
    view.status = {{"name", name},
                   {"phase", phase},
                   {"steps_total", 7},
                   {"steps_done", 3},
                   {"soak_remaining_seconds", nullptr},
                   {"paused", false},
                   {"backfills", nlohmann::json::array()}};
    return view;
}

nlohmann::json backfill(int step, const std::string& state, const std::string& kind) {
    return {{"step", step},
            {"table", "public.orders"},
            {"done", false},
            {"rows_done", 1234567},
            {"estimated_rows", 2900000},
            {"state", state},
            {"reason", kind.empty() ? "" : "some reason"},
            {"reason_kind", kind},
            {"progress", 0.4257},
            {"rows_per_second", 1834.5},
            {"batch_size", 5000},
            {"eta_seconds", 3725.25}};
}

Snapshot snapshot_of(std::vector<MigrationView> migrations) {
    Snapshot snapshot;
    snapshot.migrations = std::move(migrations);
    return snapshot;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// The value of the series written exactly as `series` (name and labels), or nullopt.
std::optional<std::string> value_of(const std::string& text, const std::string& series) {
    for (const std::string& line : lines_of(text)) {
        if (line.starts_with(series + " ")) {
            return line.substr(series.size() + 1);
        }
    }
    return std::nullopt;
}

TEST(ServeMetrics, EveryFamilyHasOneHelpAndOneTypeEvenWithoutSeries) {
    for (const Snapshot& snapshot : {snapshot_of({}), snapshot_of({migration("a")})}) {
        const std::string text = metrics_text(snapshot);
        EXPECT_TRUE(text.ends_with("\n"));
        std::map<std::string, int> helps;
        std::map<std::string, int> types;
        const auto lines = lines_of(text);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            if (lines[i].starts_with("# HELP ")) {
                const std::string name = lines[i].substr(7, lines[i].find(' ', 7) - 7);
                ++helps[name];
                ASSERT_LT(i + 1, lines.size());
                EXPECT_TRUE(lines[i + 1].starts_with("# TYPE " + name + " ")) << lines[i + 1];
            }
            if (lines[i].starts_with("# TYPE ")) {
                ++types[lines[i].substr(7, lines[i].find(' ', 7) - 7)];
            }
        }
        for (const std::string& family : families) {
            EXPECT_EQ(helps[family], 1) << family;
            EXPECT_EQ(types[family], 1) << family;
        }
        EXPECT_EQ(helps.size(), families.size());
        EXPECT_EQ(types.size(), families.size());
    }
}

TEST(ServeMetrics, TypesCountersGaugesAndTheHistogram) {
    const std::string text = metrics_text(snapshot_of({}));
    EXPECT_NE(text.find("# TYPE pgphase_lock_retries_total counter\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE pgphase_backfill_batch_seconds histogram\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE pgphase_migration_phase gauge\n"), std::string::npos);
}

TEST(ServeMetrics, AnEmptySnapshotCountsNoMigrationInEveryPhase) {
    const std::string text = metrics_text(snapshot_of({}));
    for (const char* phase : {"expanding", "expanded", "backfilling", "backfilled", "contracting",
                              "completed", "rolling_back", "rolled_back"}) {
        EXPECT_EQ(value_of(text, "pgphase_migrations{phase=\"" + std::string(phase) + "\"}"), "0")
            << phase;
    }
    EXPECT_EQ(text.find("pgphase_migration_phase{"), std::string::npos);
}

TEST(ServeMetrics, PhaseGaugeIsOneForTheCurrentPhaseAndZeroForTheOthers) {
    const std::string text = metrics_text(snapshot_of(
        {migration("a", "expanded"), migration("b", "expanded"), migration("c", "completed")}));
    EXPECT_EQ(value_of(text, "pgphase_migration_phase{migration=\"a\",phase=\"expanded\"}"), "1");
    EXPECT_EQ(value_of(text, "pgphase_migration_phase{migration=\"a\",phase=\"backfilling\"}"),
              "0");
    EXPECT_EQ(value_of(text, "pgphase_migration_phase{migration=\"c\",phase=\"completed\"}"), "1");
    EXPECT_EQ(value_of(text, "pgphase_migrations{phase=\"expanded\"}"), "2");
    EXPECT_EQ(value_of(text, "pgphase_migrations{phase=\"completed\"}"), "1");
    EXPECT_EQ(value_of(text, "pgphase_migrations{phase=\"rolled_back\"}"), "0");
    EXPECT_EQ(value_of(text, "pgphase_migration_steps_done{migration=\"a\"}"), "3");
    EXPECT_EQ(value_of(text, "pgphase_migration_steps{migration=\"a\"}"), "7");
    EXPECT_EQ(value_of(text, "pgphase_migration_paused{migration=\"a\"}"), "0");
}

TEST(ServeMetrics, EscapesHostileLabelValues) {
    const std::string text = metrics_text(snapshot_of(
        {migration("<script>alert(1)</script> \"quo\"\"te\" a&b\\c\nMixed Case ünïcødé")}));
    EXPECT_NE(text.find("pgphase_migration_paused{migration=\"<script>alert(1)</script> "
                        "\\\"quo\\\"\\\"te\\\" a&b\\\\c\\nMixed Case ünïcødé\"} 0\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(escape_label_value("bad\xff"), "bad\xEF\xBF\xBD");
}

TEST(ServeMetrics, SoakRemainingOnlyWhenKnown) {
    MigrationView known = migration("known");
    known.status["soak_remaining_seconds"] = 601200;
    MigrationView allowed = migration("allowed");
    allowed.status["soak_remaining_seconds"] = 0;
    const std::string text = metrics_text(snapshot_of({known, allowed, migration("unknown")}));
    EXPECT_EQ(value_of(text, "pgphase_migration_soak_remaining_seconds{migration=\"known\"}"),
              "601200");
    EXPECT_EQ(value_of(text, "pgphase_migration_soak_remaining_seconds{migration=\"allowed\"}"),
              "0");
    EXPECT_EQ(text.find("soak_remaining_seconds{migration=\"unknown\"}"), std::string::npos);
}

TEST(ServeMetrics, ReportsBackfillProgressRateEtaAndBatchSize) {
    MigrationView view = migration("a");
    view.status["backfills"] = {backfill(4, "running", "")};
    const std::string text = metrics_text(snapshot_of({view}));
    const std::string labels = R"({migration="a",step="4",table="public.orders"})";
    EXPECT_EQ(value_of(text, "pgphase_backfill_rows_done" + labels), "1234567");
    EXPECT_EQ(value_of(text, "pgphase_backfill_rows_estimated" + labels), "2900000");
    EXPECT_EQ(value_of(text, "pgphase_backfill_progress_ratio" + labels), "0.4257");
    EXPECT_EQ(value_of(text, "pgphase_backfill_rows_per_second" + labels), "1834.5");
    EXPECT_EQ(value_of(text, "pgphase_backfill_eta_seconds" + labels), "3725.25");
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_size" + labels), "5000");
}

TEST(ServeMetrics, ADoneBackfillIsCompleteAndIdle) {
    MigrationView view = migration("a");
    nlohmann::json done = backfill(2, "throttled", "replica_lag");
    done["done"] = true;
    view.status["backfills"] = {done};
    const std::string text = metrics_text(snapshot_of({view}));
    const std::string labels = R"({migration="a",step="2",table="public.orders")";
    EXPECT_EQ(value_of(text, "pgphase_backfill_progress_ratio" + labels + "}"), "1");
    EXPECT_EQ(value_of(text, "pgphase_backfill_rows_per_second" + labels + "}"), "0");
    EXPECT_EQ(text.find("pgphase_backfill_eta_seconds{"), std::string::npos);
    EXPECT_EQ(value_of(text, "pgphase_backfill_throttled" + labels + ",reason=\"replica_lag\"}"),
              "0");
}

TEST(ServeMetrics, ABackfillThatNeverReportedHasZeroRowsAndNoEstimate) {
    MigrationView view = migration("a");
    view.status["backfills"] = {{{"step", 3}, {"table", "public.t"}, {"done", false}}};
    const std::string text = metrics_text(snapshot_of({view}));
    const std::string labels = R"({migration="a",step="3",table="public.t"})";
    EXPECT_EQ(value_of(text, "pgphase_backfill_rows_done" + labels), "0");
    EXPECT_EQ(value_of(text, "pgphase_backfill_progress_ratio" + labels), "0");
    EXPECT_EQ(value_of(text, "pgphase_backfill_rows_estimated" + labels), std::nullopt);
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_size" + labels), std::nullopt);
    EXPECT_EQ(value_of(text, "pgphase_backfill_eta_seconds" + labels), std::nullopt);
}

TEST(ServeMetrics, ThrottledMarksTheCurrentReasonAndListsEveryOther) {
    MigrationView view = migration("a");
    view.status["backfills"] = {backfill(1, "throttled", "replica_lag"), backfill(2, "paused", ""),
                                backfill(3, "running", ""),
                                backfill(4, "throttled", "cosmic_rays")};
    const std::string text = metrics_text(snapshot_of({view}));
    const auto value = [&](int step, const char* reason) {
        return value_of(text, R"(pgphase_backfill_throttled{migration="a",step=")" +
                                  std::to_string(step) + R"(",table="public.orders",reason=")" +
                                  reason + "\"}");
    };
    int series = 0;
    for (const char* reason : {"pause", "health_probe", "replica_lag", "blocked_sessions",
                               "long_transaction", "autovacuum", "wal_rate", "health_query"}) {
        EXPECT_EQ(value(1, reason), std::string(reason) == "replica_lag" ? "1" : "0") << reason;
        EXPECT_EQ(value(2, reason), std::string(reason) == "pause" ? "1" : "0") << reason;
        EXPECT_EQ(value(3, reason), "0") << reason;
        EXPECT_EQ(value(4, reason), "0") << reason;
        ++series;
    }
    EXPECT_EQ(series, 8);
    EXPECT_EQ(value(4, "cosmic_rays"), "1") << "a kind this build does not know still shows";
}

TEST(ServeMetrics, HistogramIsCumulativeAndItsInfEqualsItsCount) {
    MigrationView view = migration("a");
    view.status["backfills"] = {backfill(4, "running", "")};
    BatchHistogram histogram;
    histogram.bucket_counts = {3, 10, 150, 80, 5, 1, 0, 0, 1};
    histogram.sum_seconds = 61.25;
    histogram.count = 250;
    view.batch_histograms[4] = histogram;
    const std::string text = metrics_text(snapshot_of({view}));
    const std::string labels = R"(migration="a",step="4",table="public.orders")";
    const std::vector<std::pair<std::string, std::string>> buckets = {
        {"0.05", "3"},  {"0.1", "13"}, {"0.25", "163"}, {"0.5", "243"}, {"1", "248"},
        {"2.5", "249"}, {"5", "249"},  {"10", "249"},   {"+Inf", "250"}};
    ASSERT_EQ(BatchHistogram::bounds().size() + 1, buckets.size());
    for (const auto& [le, expected] : buckets) {
        EXPECT_EQ(value_of(text, "pgphase_backfill_batch_seconds_bucket{" + labels + ",le=\"" + le +
                                     "\"}"),
                  expected)
            << le;
    }
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_seconds_sum{" + labels + "}"), "61.25");
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_seconds_count{" + labels + "}"), "250");
}

TEST(ServeMetrics, AnInconsistentHistogramNeverGoesDown) {
    MigrationView view = migration("a");
    BatchHistogram histogram;
    histogram.bucket_counts = {5, 5}; // short, and more than its count
    histogram.count = 4;
    view.batch_histograms[9] = histogram;
    view.batch_histograms[10] = BatchHistogram{}; // no batch yet: empty buckets
    const std::string text = metrics_text(snapshot_of({view}));
    const std::string labels = R"(migration="a",step="9",table="")";
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_seconds_bucket{" + labels + ",le=\"10\"}"),
              "10");
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_seconds_bucket{" + labels + ",le=\"+Inf\"}"),
              "10");
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_seconds_count{" + labels + "}"), "10");
    EXPECT_EQ(value_of(text, "pgphase_backfill_batch_seconds_bucket{migration=\"a\",step=\"10\","
                             "table=\"\",le=\"+Inf\"}"),
              "0");
}

TEST(ServeMetrics, CountsLockRetries) {
    MigrationView view = migration("a");
    view.lock_retries = 3;
    const std::string text = metrics_text(snapshot_of({view}));
    EXPECT_EQ(value_of(text, "pgphase_lock_retries_total{migration=\"a\"}"), "3");
}

TEST(ServeMetrics, FormatsNumbersWithoutExponentOrLocale) {
    EXPECT_EQ(format_sample_value(1e6), "1000000");
    EXPECT_EQ(format_sample_value(1234567890123.0), "1234567890123");
    EXPECT_EQ(format_sample_value(0), "0");
    EXPECT_EQ(format_sample_value(-0.0), "0");
    EXPECT_EQ(format_sample_value(0.25), "0.25");
    EXPECT_EQ(format_sample_value(1834.5), "1834.5");
    EXPECT_EQ(format_sample_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
    EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(metrics_content_type, "text/plain; version=0.0.4; charset=utf-8");
}

// serve --fleet: the targets' expositions merged, each family once, every series labelled
// with its target, and an up gauge for the unreachable one too.
TEST(ServeFleetMetrics, MergesTargetsUnderOneHelpPerFamilyWithATargetLabel) {
    MigrationView running = migration("add_email");
    running.status["backfills"] = nlohmann::json::array({backfill(2, "running", "")});
    TargetView one{"one", true, "", snapshot_of({running})};
    TargetView two{"two", true, "", snapshot_of({migration("add_email", "completed")})};
    TargetView down{"down", false, "connection refused", {}};
    const std::string text = fleet_metrics_text({one, two, down});

    for (const std::string& family : families) {
        std::size_t helps = 0;
        for (const std::string& line : lines_of(text)) {
            helps += line.rfind("# HELP " + family + " ", 0) == 0 ? 1U : 0U;
        }
        EXPECT_EQ(helps, 1u) << family;
    }
    EXPECT_EQ(value_of(text, "pgphase_migration_phase{target=\"one\",migration=\"add_email\","
                             "phase=\"backfilling\"}"),
              "1");
    EXPECT_EQ(value_of(text, "pgphase_migration_phase{target=\"two\",migration=\"add_email\","
                             "phase=\"completed\"}"),
              "1");
    EXPECT_EQ(value_of(text, "pgphase_migrations{target=\"two\",phase=\"completed\"}"), "1");
    EXPECT_EQ(value_of(text, "pgphase_target_up{target=\"one\"}"), "1");
    EXPECT_EQ(value_of(text, "pgphase_target_up{target=\"down\"}"), "0");
    for (const std::string& line : lines_of(text)) {
        if (!line.empty() && line[0] != '#') {
            EXPECT_EQ(line.find("{target=\""), line.find('{')) << line;
        }
    }
}

} // namespace
} // namespace pgphase::orchestrator::serve
