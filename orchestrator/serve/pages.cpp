// The HTML pages of `pgphase serve`, rendered from a snapshot. Pure: no I/O, no clock; every
// value from the state store is escaped, and none is pasted into the script (it reads data-*).
#include "orchestrator/serve/pages.hpp"

#include "orchestrator/serve/charts.hpp"
#include "orchestrator/serve/html.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace pgphase::orchestrator::serve {

namespace {

using nlohmann::json;

// Everything inline: the page must work on a host without internet access and leak nothing.
constexpr std::string_view style = R"css(
:root{color-scheme:light dark;--muted:#5f6b7a;--line:#d5dae1;--accent:#2b6cb0;--warn:#b45309}
@media (prefers-color-scheme:dark){:root{--muted:#9aa5b1;--line:#39424e;--accent:#6aa8ff;--warn:#f0a050}}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:72rem;padding:.8rem 1rem 2rem}
h1{font-size:1.4rem;margin:.2rem 0 .4rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
h3{font-size:1rem;margin:1.4rem 0 .4rem;overflow-wrap:anywhere}
a{color:var(--accent)}
nav,footer,.muted{color:var(--muted);font-size:.9rem}
footer{margin-top:2rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}
td{overflow-wrap:anywhere}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nowrap,.nowrap code{white-space:nowrap;overflow-wrap:normal}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.phase{display:inline-block;padding:0 .5rem;border:1px solid var(--line);border-radius:.8rem;white-space:nowrap}
.paused{color:var(--warn);font-weight:600}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.4rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
progress{width:100%;max-width:28rem;height:1.1rem;vertical-align:middle}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(19rem,1fr));gap:1rem;margin-top:.6rem}
figure{margin:0}
figcaption{font-weight:600;font-size:.9rem}
svg.chart{display:block;height:auto}
#controls{border-top:1px solid var(--line);margin-top:2rem}
.buttons{display:flex;gap:.6rem;margin:.4rem 0 1rem}
form.tune{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end}
label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input{font:inherit;width:9rem}
button{font:inherit;padding:.3rem .9rem}
#control-result{min-height:1.4em;overflow-wrap:anywhere}
)css";

// Reads the API path from data-api (never a name pasted into code); the token stays in this
// tab's sessionStorage. The refresh swaps only #live, so a half-typed tune form survives it.
constexpr std::string_view controls_script = R"js(
(function () {
  "use strict";
  var controls = document.getElementById("controls");
  var result = document.getElementById("control-result");
  var api = controls.getAttribute("data-api");
  var key = "pgphase-serve-token";
  controls.querySelector(".needs-script").hidden = false;
  function show(text) { result.textContent = text; }
  function token() {
    var value = sessionStorage.getItem(key);
    if (!value) {
      value = (window.prompt("Bearer token for pgphase serve (kept in this tab only):") || "").trim();
      if (value) { sessionStorage.setItem(key, value); }
    }
    return value;
  }
  var busy = false;
  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(location.href, { cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        var live = document.getElementById("live");
        if (next && live) { live.replaceChildren.apply(live, Array.from(next.childNodes)); }
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  function send(action, body) {
    var value = token();
    if (!value) { show(action + ": cancelled, no token given"); return; }
    show(action + ": sending\u2026");
    fetch(api + "/" + action, {
      method: "POST",
      cache: "no-store",
      headers: { "Authorization": "Bearer " + value, "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      if (response.status === 401) { sessionStorage.removeItem(key); }
      return response.text().then(function (text) {
        var message = text;
        try { var parsed = JSON.parse(text); message = parsed.message || parsed.error || text; } catch (e) {}
        show(action + ": " + response.status + " " + response.statusText +
             (message ? " \u2014 " + String(message).slice(0, 300) : "") +
             (response.status === 401 ? " (token forgotten: the next action asks again)" : ""));
        if (response.ok) { busy = false; refresh(); }
      });
    }, function (error) { show(action + ": failed, " + error); });
  }
  document.getElementById("pause-button").addEventListener("click", function () { send("pause"); });
  document.getElementById("resume-button").addEventListener("click", function () { send("resume"); });
  document.getElementById("tune-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, body = {}, problem = "";
    ["max_rows_per_second", "max_batch_size"].forEach(function (field) {
      var text = form.elements[field].value.trim();
      if (text === "") { return; }
      var number = Number(text);
      if (!Number.isInteger(number) || number <= 0) { problem = field + " must be a positive whole number"; }
      else { body[field] = number; }
    });
    var target = form.elements["target_batch_time"].value.trim();
    if (target !== "") { body.target_batch_time = target; }
    if (problem) { show("tune: " + problem); return; }
    if (Object.keys(body).length === 0) { show("tune: fill in at least one field"); return; }
    send("tune", body);
  });
  setInterval(refresh, 3000);
})();
)js";

std::string document(std::string_view title, std::string_view body, bool with_script = false) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      // An empty icon: no request for /favicon.ico, no asset at all.
                      "<link rel=\"icon\" href=\"data:,\">\n<title>";
    out += html_escape(title);
    out += "</title>\n<style>";
    out += style;
    out += "</style>\n</head>\n<body>\n";
    out += body;
    out += "<footer>pgphase serve · <a href=\"/\">all migrations</a> · "
           "<a href=\"/metrics\">metrics</a></footer>\n";
    if (with_script) {
        out += "<script>";
        out += controls_script;
        out += "</script>\n";
    }
    out += "</body>\n</html>\n";
    return out;
}

std::string site_title(const Snapshot& snapshot) {
    return snapshot.database.empty() ? "pgphase" : "pgphase — " + snapshot.database;
}

std::string name_of(const MigrationView& migration) {
    return json_text(migration.status, "name").value_or("");
}

std::string code(std::string_view text) {
    return "<code>" + html_escape(text) + "</code>";
}

// A timestamp kept on one line: broken at its hyphens it reads as two dates.
std::string stamp(std::string_view text) {
    return "<span class=\"nowrap\">" + html_escape(text) + "</span>";
}

std::string phase_html(const json& status) {
    const auto phase = json_text(status, "phase");
    return phase ? "<span class=\"phase\">" + html_escape(*phase) + "</span>" : "—";
}

std::string steps_html(const json& status) {
    const auto done = json_integer(status, "steps_done");
    const auto total = json_integer(status, "steps_total");
    if (!done || !total) {
        return "—";
    }
    return format_count(*done) + "/" + format_count(*total);
}

std::string version_schema_html(const json& status) {
    const auto schema = json_text(status, "version_schema");
    if (!schema) {
        return "—";
    }
    return code(*schema) + (json_flag(status, "version_schema_ready")
                                ? " ready"
                                : " <span class=\"muted\">not ready yet (after backfill)</span>");
}

std::string soak_html(const json& status) {
    const auto remaining = json_number(status, "soak_remaining_seconds");
    if (!remaining) {
        return "—";
    }
    if (*remaining <= 0) {
        return "allowed now";
    }
    std::string out = "in " + format_seconds(*remaining);
    if (const auto at = json_text(status, "complete_allowed_at")) {
        out += " <span class=\"muted\">(from " + stamp(*at) + ")</span>";
    }
    return out;
}

std::string next_html(const json& status) {
    const std::string next = json_text(status, "next").value_or("");
    return next.empty() ? "nothing left to run" : code("pgphase " + next);
}

std::string paused_html(const json& status) {
    if (!json_flag(status, "paused")) {
        return "no";
    }
    std::string out = "<span class=\"paused\">paused</span>";
    if (const auto by = json_text(status, "paused_by")) {
        out += " by " + html_escape(*by);
    }
    if (const auto at = json_text(status, "paused_at")) {
        out += " <span class=\"muted\">at " + stamp(*at) + "</span>";
    }
    return out;
}

// "phase.expanded by alice (advance) at …" from status's last_event.
std::string last_event_html(const json& status) {
    const auto found = status.is_object() ? status.find("last_event") : status.end();
    if (!status.is_object() || found == status.end() || !found->is_object()) {
        return "";
    }
    std::string out = html_escape(json_text(*found, "event").value_or("?"));
    if (const auto actor = json_text(*found, "actor")) {
        out += " by " + html_escape(*actor);
    }
    if (const auto command = json_text(*found, "command"); command && !command->empty()) {
        out += " (" + html_escape(*command) + ")";
    }
    if (const auto at = json_text(*found, "at")) {
        out += " at " + stamp(*at);
    }
    return out;
}

// `base`: "" or "/targets/NAME" (Snapshot::base); target names need no escaping.
std::string migration_href(const std::string& base, const std::string& name) {
    return html_escape(base) + "/migrations/" + html_escape(url_encode(name));
}

std::string index_row(const std::string& base, const MigrationView& migration) {
    const json& status = migration.status;
    const std::string name = name_of(migration);
    std::string updated = stamp(json_text(status, "updated_at").value_or("—"));
    if (const std::string last = last_event_html(status); !last.empty()) {
        updated += "<br><span class=\"muted\">" + last + "</span>";
    }
    return "<tr><td><a href=\"" + migration_href(base, name) + "\">" + html_escape(name) +
           "</a></td><td>" + phase_html(status) + "</td><td class=\"num\">" + steps_html(status) +
           "</td><td>" + version_schema_html(status) + "</td><td>" + soak_html(status) +
           "</td><td class=\"nowrap\">" + next_html(status) + "</td><td>" + updated + "</td><td>" +
           paused_html(status) + "</td></tr>\n";
}

std::string fact(std::string_view term, std::string_view html) {
    return "<dt>" + std::string(term) + "</dt><dd>" + std::string(html) + "</dd>\n";
}

std::string rows_html(const json& backfill) {
    const auto done = json_integer(backfill, "rows_done");
    if (!done) {
        return json_flag(backfill, "done") ? "done" : "not started";
    }
    const auto estimated = json_integer(backfill, "estimated_rows").value_or(0);
    return format_count(*done) + (estimated > 0 ? " of about " + format_count(estimated)
                                                : " <span class=\"muted\">(total unknown)</span>");
}

std::string state_html(const json& backfill, bool done) {
    if (done) {
        return "done";
    }
    const auto state = json_text(backfill, "state");
    if (!state) {
        return "<span class=\"muted\">no report yet</span>";
    }
    std::string out = html_escape(*state);
    if (const auto reason = json_text(backfill, "reason"); reason && !reason->empty()) {
        out += " (" + html_escape(*reason) + ")";
    }
    return out;
}

std::string backfill_section(const json& backfill, const MigrationView& migration) {
    const auto step = json_integer(backfill, "step").value_or(0);
    const std::string table = json_text(backfill, "table").value_or("");
    const bool done = json_flag(backfill, "done");
    const double ratio =
        done ? 1 : std::clamp(json_number(backfill, "progress").value_or(0), 0.0, 1.0);

    std::string out = fill(R"(<section class="backfill" id="step-{step}">
<h3>Step {step}: backfill {table}</h3>
<p><progress id="progress-step-{step}" value="{percent}" max="100">{percent}%</progress> )"
                           R"(<strong>{precise}</strong></p>
<dl class="facts">
)",
                           {{"step", std::to_string(step)},
                            {"table", code(table)},
                            {"percent", std::to_string(std::lround(ratio * 100))},
                            {"precise", format_percent(ratio)}});
    out += fact("Rows", rows_html(backfill));
    const auto rate = json_number(backfill, "rows_per_second");
    out += fact("Speed", rate && !done ? format_count(std::llround(*rate)) + " rows/s" : "—");
    const auto batch = json_integer(backfill, "batch_size");
    out += fact("Batch size", batch ? format_count(*batch) + " rows" : "—");
    const auto eta = json_number(backfill, "eta_seconds");
    out += fact("ETA", eta && !done ? format_seconds(*eta) : "—");
    out += fact("State", state_html(backfill, done));
    if (const auto reported = json_text(backfill, "reported_at")) {
        out += fact("Reported", stamp(*reported));
    }
    out += "</dl>\n";

    const std::vector<Sample> none;
    const auto samples = migration.samples.find(static_cast<int>(step));
    const std::vector<Sample>& history =
        samples == migration.samples.end() ? none : samples->second;
    out += "<div class=\"charts\">\n<figure><figcaption>Rows per second</figcaption>" +
           rows_per_second_chart(history, table) +
           "</figure>\n<figure><figcaption>Mean batch time</figcaption>" +
           batch_time_chart(history, table) + "</figure>\n</div>\n</section>\n";
    return out;
}

// Cuts at most `limit` bytes without splitting a UTF-8 sequence.
std::string shortened(std::string text, std::size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;
    }
    text.resize(end);
    return text + "…";
}

std::string milliseconds_text(double ms) {
    if (ms < 1000) {
        return format_decimal(ms, 0) + " ms";
    }
    if (ms < 60'000) {
        return format_decimal(ms / 1000, 1) + " s";
    }
    return format_seconds(ms / 1000);
}

// Plain text (escaped by the caller): step events as "step 4 · summary · lock … · 120 ms",
// anything else as compact JSON cut short.
std::string event_detail(const EventRecord& event) {
    const json& detail = event.detail;
    if (detail.is_null() || (detail.is_object() && detail.empty())) {
        return "";
    }
    if (event.event.starts_with("step.") && detail.is_object()) {
        std::string out;
        const auto add = [&](const std::string& part) { out += (out.empty() ? "" : " · ") + part; };
        if (const auto step = json_integer(detail, "step")) {
            add("step " + std::to_string(*step));
        }
        if (const auto summary = json_text(detail, "summary")) {
            add(*summary);
        }
        if (const auto lock = json_text(detail, "lock")) {
            add("lock " + *lock);
        }
        if (const auto duration = json_number(detail, "duration_ms")) {
            add(milliseconds_text(*duration));
        }
        if (!out.empty()) {
            return shortened(out, 240);
        }
    }
    // A replacement character instead of an exception for invalid UTF-8 from the store.
    return shortened(detail.dump(-1, ' ', false, json::error_handler_t::replace), 240);
}

std::string events_section(const std::vector<EventRecord>& events) {
    if (events.empty()) {
        return "<h2>Recent events</h2>\n<p class=\"muted\">No events yet.</p>\n";
    }
    std::string out = "<h2>Recent events</h2>\n<div class=\"scroll\"><table>\n<caption "
                      "class=\"muted\">newest first</caption>\n<thead><tr><th>At</th>"
                      "<th>Actor</th><th>Command</th><th>Event</th><th>Detail</th></tr></thead>"
                      "\n<tbody>\n";
    // By index: clang-tidy 14 cannot parse std::views::reverse of libstdc++ 12.
    for (std::size_t i = events.size(); i-- > 0;) {
        const EventRecord& event = events[i];
        out += fill(R"(<tr><td class="num">{at}</td><td>{actor}</td><td>{command}</td>)"
                    R"(<td class="nowrap">{event}</td><td>{detail}</td></tr>
)",
                    {{"at", html_escape(event.at)},
                     {"actor", html_escape(event.actor)},
                     {"command", html_escape(event.command)},
                     {"event", code(event.event)},
                     {"detail", html_escape(event_detail(event))}});
    }
    return out + "</tbody>\n</table></div>\n";
}

std::string controls_section(const std::string& base, const std::string& name) {
    return fill(R"(<section id="controls" data-api="{base}/api/migrations/{segment}" )"
                R"(aria-labelledby="controls-heading">
<h2 id="controls-heading">Controls</h2>
<noscript><p>The controls need JavaScript; from a shell use <code>pgphase pause</code>, )"
                R"(<code>pgphase resume</code> and <code>pgphase tune</code>.</p></noscript>
<div class="needs-script" hidden>
<div class="buttons"><button type="button" id="pause-button">Pause</button>)"
                R"(<button type="button" id="resume-button">Resume</button></div>
<form id="tune-form" class="tune">
<label>rows/s<input name="max_rows_per_second" type="number" min="1" step="1" )"
                R"(inputmode="numeric" placeholder="2000"></label>
<label>batch size<input name="max_batch_size" type="number" min="1" step="1" )"
                R"(inputmode="numeric" placeholder="5000"></label>
<label>target batch time<input name="target_batch_time" type="text" placeholder="200ms" )"
                R"(autocomplete="off"></label>
<button type="submit">Tune</button>
</form>
<p id="control-result" role="status" aria-live="polite"></p>
</div>
</section>
)",
                {{"base", html_escape(base)}, {"segment", html_escape(url_encode(name))}});
}

} // namespace

std::string url_encode(std::string_view segment) {
    constexpr std::string_view hex = "0123456789ABCDEF";
    std::string out;
    for (const char c : segment) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
            (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
            byte == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[byte >> 4U];
            out += hex[byte & 0x0FU];
        }
    }
    return out;
}

std::string index_page(const Snapshot& snapshot) {
    const std::string title = site_title(snapshot);
    std::string body = "<header><h1>" + html_escape(title) + "</h1></header>\n<main id=\"live\">\n";
    body += "<p class=\"muted\">" +
            format_count(static_cast<std::int64_t>(snapshot.migrations.size())) +
            (snapshot.migrations.size() == 1 ? " migration" : " migrations") + " · as of " +
            format_timestamp(snapshot.now_ms) + "</p>\n";
    if (snapshot.migrations.empty()) {
        body += "<p class=\"empty\">No migrations in the state store yet. They appear here once "
                "<code>pgphase start</code> (or <code>advance</code>) has run.</p>\n";
    } else {
        body += "<div class=\"scroll\"><table>\n<thead><tr><th>Migration</th><th>Phase</th>"
                "<th>Steps</th><th>Version schema</th><th>Soak</th><th>Next</th>"
                "<th>Updated</th><th>Paused</th></tr></thead>\n<tbody>\n";
        for (const MigrationView& migration : snapshot.migrations) {
            body += index_row(snapshot.base, migration);
        }
        body += "</tbody>\n</table></div>\n";
    }
    body += "</main>\n";
    return document(title, body);
}

std::string migration_page(const Snapshot& snapshot, const MigrationView& migration) {
    const json& status = migration.status;
    const std::string name = name_of(migration);
    std::string body = "<header><nav><a href=\"" + html_escape(snapshot.base) +
                       "/\">← all migrations</a></nav><h1>" + html_escape(name) +
                       "</h1></header>\n<main id=\"live\">\n";
    body += "<p class=\"muted\">as of " + format_timestamp(snapshot.now_ms) + " · " +
            html_escape(site_title(snapshot)) + "</p>\n<dl class=\"facts\">\n";
    body += fact("Phase", phase_html(status));
    body += fact("Steps done", steps_html(status));
    body += fact("Version schema", version_schema_html(status));
    body += fact("Soak", soak_html(status));
    body += fact("Next command", next_html(status));
    body += fact("Paused", paused_html(status));
    body += fact("Updated", stamp(json_text(status, "updated_at").value_or("—")));
    if (const std::string last = last_event_html(status); !last.empty()) {
        body += fact("Last event", last);
    }
    body += "</dl>\n<h2>Backfills</h2>\n";
    const auto backfills = status.is_object() ? status.find("backfills") : status.end();
    if (!status.is_object() || backfills == status.end() || !backfills->is_array() ||
        backfills->empty()) {
        body += "<p class=\"muted\">This migration has no backfill step.</p>\n";
    } else {
        for (const json& backfill : *backfills) {
            body += backfill_section(backfill, migration);
        }
    }
    body += events_section(migration.events);
    body += "</main>\n";
    body += controls_section(snapshot.base, name);
    return document(name + " — " + site_title(snapshot), body, true);
}

std::string fleet_page(std::string_view fleet_file, const std::vector<TargetView>& targets) {
    const std::string title = "pgphase — " + std::string(fleet_file);
    std::string body = "<header><h1>" + html_escape(title) + "</h1></header>\n<main id=\"live\">\n";
    body += "<p class=\"muted\">" + format_count(static_cast<std::int64_t>(targets.size())) +
            (targets.size() == 1 ? " target" : " targets") + "</p>\n";
    body += "<div class=\"scroll\"><table>\n<thead><tr><th>Target</th><th>Database</th>"
            "<th>Migrations</th><th>Phases</th><th>Paused</th></tr></thead>\n<tbody>\n";
    for (const TargetView& target : targets) {
        const std::string link = "<a href=\"" + html_escape(target.snapshot.base) + "/\">" +
                                 html_escape(target.name) + "</a>";
        if (!target.reachable) {
            body += fill(R"(<tr><td>{link}</td><td colspan="4" class="paused">unreachable: )"
                         R"({error}</td></tr>)"
                         "\n",
                         {{"link", link}, {"error", html_escape(target.error)}});
            continue;
        }
        std::map<std::string, int> phases;
        int paused = 0;
        for (const MigrationView& migration : target.snapshot.migrations) {
            ++phases[json_text(migration.status, "phase").value_or("?")];
            paused += json_flag(migration.status, "paused") ? 1 : 0;
        }
        std::string summary;
        for (const auto& [phase, count] : phases) {
            summary +=
                (summary.empty() ? "" : " · ") + format_count(count) + " " + html_escape(phase);
        }
        body += "<tr><td>" + link + "</td><td>" + html_escape(target.snapshot.database) +
                "</td><td class=\"num\">" +
                format_count(static_cast<std::int64_t>(target.snapshot.migrations.size())) +
                "</td><td>" + (summary.empty() ? "—" : summary) + "</td><td>" +
                (paused > 0 ? "<span class=\"paused\">" + format_count(paused) + "</span>" : "no") +
                "</td></tr>\n";
    }
    body += "</tbody>\n</table></div>\n</main>\n";
    return document(title, body);
}

std::string not_found_page(std::string_view what) {
    return document("Not found — pgphase",
                    "<header><nav><a href=\"/\">← all migrations</a></nav><h1>Not found</h1>"
                    "</header>\n<main>\n<p>There is no " +
                        html_escape(what) + " here.</p>\n</main>\n");
}

} // namespace pgphase::orchestrator::serve
