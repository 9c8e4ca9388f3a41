// The HTML pages: complete self-contained documents, every identifier escaped, links and the
// API path percent-encoded, progress and soak as a reader needs them, controls outside the
// live region and no name pasted into the script.
#include "orchestrator/serve/pages.hpp"

#include <gtest/gtest.h>

namespace pgphase::orchestrator::serve {
namespace {

constexpr std::int64_t dec_6_2026_15_04_05 = 1796569445000;
const std::string hostile_name = "<script>alert(1)</script> \"quo\"\"te\" a&b Mixed Case ünïcødé";
const std::string escaped_hostile_name =
    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quo&quot;&quot;te&quot; a&amp;b Mixed Case "
    "ünïcødé";

MigrationView migration(const std::string& name) {
    MigrationView view;
    view.status = {{"name", name},
                   {"phase", "backfilling"},
                   {"steps_total", 7},
                   {"steps_done", 3},
                   {"next", "backfill"},
                   {"updated_at", "2026-12-06T13:04:05Z"},
                   {"version_schema", "public_v2"},
                   {"version_schema_ready", false},
                   {"complete_allowed_at", "2026-12-06T16:06:05Z"},
                   {"soak_remaining_seconds", 3720},
                   {"paused", false},
                   {"last_event",
                    {{"event", "phase.backfilling"},
                     {"at", "2026-12-06T13:04:05.120Z"},
                     {"actor", "alice"},
                     {"command", "backfill"}}},
                   {"backfills", nlohmann::json::array()}};
    return view;
}

nlohmann::json running_backfill(int step, const std::string& table) {
    return {{"step", step},
            {"table", table},
            {"done", false},
            {"rows_done", 1234567},
            {"estimated_rows", 2900000},
            {"state", "running"},
            {"reason", ""},
            {"reason_kind", ""},
            {"progress", 0.4257},
            {"rows_per_second", 1834.6},
            {"batch_size", 5000},
            {"eta_seconds", 3725.2},
            {"reported_at", "2026-12-06T15:04:01Z"}};
}

Snapshot snapshot_of(std::vector<MigrationView> migrations) {
    Snapshot snapshot;
    snapshot.now_ms = dec_6_2026_15_04_05;
    snapshot.database = "shop";
    snapshot.migrations = std::move(migrations);
    return snapshot;
}

std::size_t count(const std::string& text, std::string_view what) {
    std::size_t found = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++found;
    }
    return found;
}

std::string script_of(const std::string& page) {
    const auto start = page.find("<script>");
    const auto end = page.find("</script>");
    return start == std::string::npos ? "" : page.substr(start, end - start);
}

void expect_complete_offline_document(const std::string& page) {
    EXPECT_TRUE(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">")) << page.substr(0, 60);
    EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
    EXPECT_NE(page.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"),
              std::string::npos);
    EXPECT_NE(page.find("<style>"), std::string::npos);
    EXPECT_TRUE(page.ends_with("</html>\n"));
    for (const char* external : {"http://", "https://", "src=", "//cdn", "@import"}) {
        EXPECT_EQ(page.find(external), std::string::npos) << external;
    }
}

TEST(ServePages, UrlEncodeKeepsUnreservedCharactersAndEncodesTheRest) {
    EXPECT_EQ(url_encode("20261124_add-orders.v2~x"), "20261124_add-orders.v2~x");
    EXPECT_EQ(url_encode("a b/c?d#e%f&g\"h"), "a%20b%2Fc%3Fd%23e%25f%26g%22h");
    EXPECT_EQ(url_encode("ü"), "%C3%BC");
    EXPECT_EQ(url_encode(""), "");
}

TEST(ServePages, IndexIsACompleteDocumentTitledByTheDatabase) {
    const std::string page = index_page(snapshot_of({migration("add_currency")}));
    expect_complete_offline_document(page);
    EXPECT_NE(page.find("<title>pgphase — shop</title>"), std::string::npos);
    EXPECT_EQ(page.find("<script"), std::string::npos) << "the index needs no script";
}

TEST(ServePages, IndexSaysSoWhenTheStateStoreHasNoMigrations) {
    const std::string page = index_page(snapshot_of({}));
    expect_complete_offline_document(page);
    EXPECT_NE(page.find("No migrations in the state store yet"), std::string::npos);
    EXPECT_EQ(page.find("<table"), std::string::npos);
}

TEST(ServePages, IndexListsEachMigrationWithWhereItStands) {
    const std::string page = index_page(snapshot_of({migration("add_currency")}));
    EXPECT_NE(page.find("<a href=\"/migrations/add_currency\">add_currency</a>"),
              std::string::npos);
    EXPECT_NE(page.find("<span class=\"phase\">backfilling</span>"), std::string::npos);
    EXPECT_NE(page.find(">3/7</td>"), std::string::npos);
    EXPECT_NE(page.find("<code>public_v2</code> <span class=\"muted\">not ready yet"),
              std::string::npos);
    EXPECT_NE(page.find("in 1h 02m"), std::string::npos);
    EXPECT_NE(page.find("<code>pgphase backfill</code>"), std::string::npos);
    EXPECT_NE(page.find("phase.backfilling by alice (backfill) at"), std::string::npos);
    EXPECT_NE(page.find("2026-12-06T13:04:05Z"), std::string::npos);
}

TEST(ServePages, SoakShowsACountdownAllowedNowOrNothing) {
    MigrationView waiting = migration("waiting");
    MigrationView allowed = migration("allowed");
    allowed.status["soak_remaining_seconds"] = 0;
    MigrationView unknown = migration("unknown");
    unknown.status["soak_remaining_seconds"] = nullptr;
    unknown.status["complete_allowed_at"] = nullptr;
    const Snapshot snapshot = snapshot_of({waiting, allowed, unknown});
    EXPECT_NE(migration_page(snapshot, waiting)
                  .find("<dt>Soak</dt><dd>in 1h 02m <span class=\"muted\">(from <span "
                        "class=\"nowrap\">2026-12-06T16:06:05Z</span>)</span></dd>"),
              std::string::npos);
    EXPECT_NE(migration_page(snapshot, allowed).find("<dt>Soak</dt><dd>allowed now</dd>"),
              std::string::npos);
    EXPECT_NE(migration_page(snapshot, unknown).find("<dt>Soak</dt><dd>—</dd>"), std::string::npos);
}

TEST(ServePages, EscapesAHostileMigrationName) {
    const MigrationView hostile = migration(hostile_name);
    const Snapshot snapshot = snapshot_of({hostile});
    const std::string index = index_page(snapshot);
    EXPECT_EQ(index.find("<script"), std::string::npos);
    EXPECT_EQ(index.find("a&b"), std::string::npos);
    EXPECT_NE(index.find(">" + escaped_hostile_name + "</a>"), std::string::npos);
    EXPECT_NE(index.find("href=\"/migrations/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%20%22quo%22%"
                         "22te%22%20a%26b%20Mixed%20Case%20%C3%BCn%C3%AF"),
              std::string::npos);

    const std::string page = migration_page(snapshot, hostile);
    EXPECT_EQ(count(page, "<script"), 1U) << "only the page's own script";
    EXPECT_EQ(page.find("a&b"), std::string::npos);
    EXPECT_NE(page.find("<h1>" + escaped_hostile_name + "</h1>"), std::string::npos);
    EXPECT_NE(page.find("<title>" + escaped_hostile_name + " — pgphase — shop</title>"),
              std::string::npos);
}

TEST(ServePages, NeverPastesTheNameIntoTheScript) {
    const MigrationView hostile = migration(hostile_name);
    const std::string page = migration_page(snapshot_of({hostile}), hostile);
    const std::string script = script_of(page);
    ASSERT_FALSE(script.empty());
    for (const char* part : {"alert", "quo", "a&b", "Mixed", "%3C", "ünïcødé"}) {
        EXPECT_EQ(script.find(part), std::string::npos) << part;
    }
    EXPECT_NE(page.find("<section id=\"controls\" data-api=\"/api/migrations/"
                        "%3Cscript%3Ealert%281%29%3C%2Fscript%3E%20%22quo%22%22te%22%20a%26b"),
              std::string::npos);
    EXPECT_NE(script.find("getAttribute(\"data-api\")"), std::string::npos);
}

TEST(ServePages, ControlsPostWithTheTokenAndStayOutsideTheLiveRegion) {
    const MigrationView view = migration("add_currency");
    const std::string page = migration_page(snapshot_of({view}), view);
    expect_complete_offline_document(page);
    const auto live = page.find("<main id=\"live\">");
    const auto live_end = page.find("</main>");
    const auto controls = page.find("<section id=\"controls\"");
    ASSERT_NE(live, std::string::npos);
    ASSERT_NE(controls, std::string::npos);
    EXPECT_LT(live_end, controls);
    EXPECT_GT(page.find("id=\"control-result\""), live_end);
    for (const char* id : {"id=\"pause-button\"", "id=\"resume-button\"", "id=\"tune-form\"",
                           "name=\"max_rows_per_second\"", "name=\"max_batch_size\"",
                           "name=\"target_batch_time\""}) {
        EXPECT_GT(page.find(id), live_end) << id;
    }
    const std::string script = script_of(page);
    for (const char* part :
         {R"("Authorization": "Bearer " + value)", "sessionStorage.getItem(key)", "window.prompt(",
          "response.status === 401", "sessionStorage.removeItem(key)", "method: \"POST\"",
          "JSON.stringify(body || {})", "send(\"pause\")", "send(\"resume\")",
          "send(\"tune\", body)", "fetch(location.href", "new DOMParser()",
          "getElementById(\"live\")", "setInterval(refresh, 3000)", "textContent"}) {
        EXPECT_NE(script.find(part), std::string::npos) << part;
    }
    EXPECT_EQ(script.find("innerHTML"), std::string::npos);
    EXPECT_NE(page.find("<noscript>"), std::string::npos) << "controls say they need JS";
}

TEST(ServePages, ShowsEachBackfillWithProgressRowsRateAndEta) {
    MigrationView view = migration("add_currency");
    view.status["backfills"] = {
        {{"step", 2}, {"table", "public.archive"}, {"done", true}, {"rows_done", 10}},
        running_backfill(4, "public.orders"),
        {{"step", 6}, {"table", "public.later"}, {"done", false}}};
    const std::string page = migration_page(snapshot_of({view}), view);
    EXPECT_NE(page.find("<progress id=\"progress-step-2\" value=\"100\" max=\"100\">"),
              std::string::npos);
    EXPECT_NE(page.find("<progress id=\"progress-step-4\" value=\"43\" max=\"100\">43%</progress> "
                        "<strong>42.6%</strong>"),
              std::string::npos);
    EXPECT_NE(page.find("<progress id=\"progress-step-6\" value=\"0\" max=\"100\">"),
              std::string::npos);
    EXPECT_NE(page.find("1,234,567 of about 2,900,000"), std::string::npos);
    EXPECT_NE(page.find("<dt>Speed</dt><dd>1,835 rows/s</dd>"), std::string::npos);
    EXPECT_NE(page.find("<dt>Batch size</dt><dd>5,000 rows</dd>"), std::string::npos);
    EXPECT_NE(page.find("<dt>ETA</dt><dd>1h 03m</dd>"), std::string::npos);
    EXPECT_NE(page.find("<dt>State</dt><dd>running</dd>"), std::string::npos);
    EXPECT_NE(page.find("<dt>Rows</dt><dd>not started</dd>"), std::string::npos);
    EXPECT_EQ(count(page, "<svg"), 6U) << "two charts per backfill step";
    EXPECT_EQ(count(page, "no samples yet</text>"), 6U);
}

TEST(ServePages, DrawsTheChartsOfEachStepFromItsOwnSamples) {
    MigrationView view = migration("add_currency");
    view.status["backfills"] = {running_backfill(4, "public.orders")};
    for (int i = 0; i < 3; ++i) {
        Sample sample;
        sample.at_ms = dec_6_2026_15_04_05 + i * 60'000LL;
        sample.rows_per_second = 100;
        sample.batch_seconds = 0.2;
        sample.state = i == 1 ? "throttled" : "running";
        sample.reason_kind = i == 1 ? "autovacuum" : "";
        view.samples[4].push_back(sample);
    }
    view.samples[2] = view.samples[4]; // another step's: must not be drawn for step 4
    view.samples[2][1].reason_kind = "wal_rate";
    const std::string page = migration_page(snapshot_of({view}), view);
    EXPECT_EQ(count(page, "<svg"), 2U);
    EXPECT_EQ(count(page, "data-kind=\"autovacuum\""), 2U);
    EXPECT_EQ(page.find("wal_rate"), std::string::npos);
    EXPECT_NE(page.find("<title>Rows per second — public.orders</title>"), std::string::npos);
}

TEST(ServePages, EscapesHostileTablesReasonsActorsAndEventDetail) {
    MigrationView view = migration("add_currency");
    nlohmann::json backfill = running_backfill(4, R"("Mixed Case"."quo""te" <b>)");
    backfill["state"] = "throttled";
    backfill["reason"] = "<script>alert('x')</script> & more";
    view.status["backfills"] = {backfill};
    view.status["paused"] = true;
    view.status["paused_by"] = "<i>mallory</i>";
    EventRecord event;
    event.at = "2026-12-06T15:00:00.000Z";
    event.actor = "<img src=x onerror=alert(1)>";
    event.command = "pause";
    event.event = "backfill.paused";
    event.detail = {{"note", "ünïcødé & <b>\"x\"</b>"}};
    view.events = {event};
    const std::string page = migration_page(snapshot_of({view}), view);
    EXPECT_EQ(count(page, "<script"), 1U);
    for (const char* raw : {"<b>", "<i>", "<img", "& more"}) {
        EXPECT_EQ(page.find(raw), std::string::npos) << raw;
    }
    EXPECT_NE(page.find("<code>&quot;Mixed Case&quot;.&quot;quo&quot;&quot;te&quot; "
                        "&lt;b&gt;</code>"),
              std::string::npos);
    EXPECT_NE(page.find("throttled (&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more)"),
              std::string::npos);
    EXPECT_NE(page.find("by &lt;i&gt;mallory&lt;/i&gt;"), std::string::npos);
    EXPECT_NE(page.find("<td>&lt;img src=x onerror=alert(1)&gt;</td>"), std::string::npos);
    EXPECT_NE(page.find("{&quot;note&quot;:&quot;ünïcødé &amp; &lt;b&gt;\\&quot;x\\&quot;&lt;/"
                        "b&gt;&quot;}"),
              std::string::npos);
}

TEST(ServePages, ListsRecentEventsNewestFirstWithStepLocksAndDurations) {
    MigrationView view = migration("add_currency");
    EventRecord started;
    started.at = "2026-12-06T13:00:00.000Z";
    started.actor = "alice";
    started.command = "advance";
    started.event = "migration.started";
    started.detail = {{"steps", 7}};
    EventRecord step = started;
    step.at = "2026-12-06T13:00:01.000Z";
    step.event = "step.done";
    step.detail = {{"step", 1},
                   {"summary", "add column currency"},
                   {"lock", "ACCESS EXCLUSIVE"},
                   {"duration_ms", 38}};
    EventRecord old = started;
    old.command = "";
    old.event = "phase.expanded";
    old.detail = nlohmann::json::object();
    view.events = {started, step, old};
    const std::string page = migration_page(snapshot_of({view}), view);
    EXPECT_NE(page.find("step 1 · add column currency · lock ACCESS EXCLUSIVE · 38 ms"),
              std::string::npos);
    EXPECT_NE(page.find("{&quot;steps&quot;:7}"), std::string::npos);
    EXPECT_LT(page.find("phase.expanded"), page.find("step.done"));
    EXPECT_LT(page.find("step.done"), page.find("migration.started"));
}

TEST(ServePages, AHalfWrittenStatusStillRenders) {
    MigrationView broken;
    broken.status = {{"name", "broken"}, {"steps_done", "three"}, {"backfills", {{"step", "x"}}}};
    MigrationView not_an_object;
    not_an_object.status = nlohmann::json::array();
    const Snapshot snapshot = snapshot_of({broken, not_an_object});
    const std::string index = index_page(snapshot);
    EXPECT_NE(index.find(">broken</a>"), std::string::npos);
    const std::string page = migration_page(snapshot, broken);
    EXPECT_NE(page.find("<dt>Steps done</dt><dd>—</dd>"), std::string::npos);
    EXPECT_NE(migration_page(snapshot, not_an_object).find("no backfill step"), std::string::npos);
}

TEST(ServePages, NotFoundEscapesWhatWasAskedFor) {
    const std::string page = not_found_page("migration \"<script>alert(1)</script>\"");
    expect_complete_offline_document(page);
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_NE(page.find("There is no migration &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; "
                        "here."),
              std::string::npos);
    EXPECT_NE(page.find("<a href=\"/\">"), std::string::npos);
}

} // namespace
} // namespace pgphase::orchestrator::serve
