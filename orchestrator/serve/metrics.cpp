// Prometheus text exposition (0.0.4) of a snapshot: migration phases, backfill progress and
// throttling, batch time histograms, lock retries. Pure: no clock, no locale, no global state.
#include "orchestrator/serve/metrics.hpp"

#include "orchestrator/serve/html.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <string_view>
#include <utility>

namespace pgphase::orchestrator::serve {

namespace {

// Every phase gets a series, current or not, so `== 1` and `== 0` queries need no `absent()`.
// The names are phase_name()'s; listed here so the renderers need no link to the state store.
constexpr std::array<std::string_view, 8> phases = {"expanding",    "expanded",    "backfilling",
                                                    "backfilled",   "contracting", "completed",
                                                    "rolling_back", "rolled_back"};

constexpr std::array<std::string_view, 8> reason_kinds = {
    "pause",      "health_probe", "replica_lag", "blocked_sessions", "long_transaction",
    "autovacuum", "wal_rate",     "health_query"};

using Labels = std::vector<std::pair<std::string_view, std::string>>;

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void series(std::string& out, std::string_view name, const Labels& labels, double value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) {
                out += ',';
            }
            out += labels[i].first;
            out += "=\"";
            out += escape_label_value(labels[i].second);
            out += '"';
        }
        out += '}';
    }
    out += ' ';
    out += format_sample_value(value);
    out += '\n';
}

struct Migration {
    std::string name;
    const MigrationView* view = nullptr;
};

struct Backfill {
    std::string migration;
    int step = 0;
    std::string table;
    bool done = false;
    const nlohmann::json* status = nullptr;

    Labels labels() const {
        return {{"migration", migration}, {"step", std::to_string(step)}, {"table", table}};
    }
};

std::vector<Migration> migrations_of(const Snapshot& snapshot) {
    std::vector<Migration> out;
    for (const MigrationView& view : snapshot.migrations) {
        out.push_back({json_text(view.status, "name").value_or(""), &view});
    }
    return out;
}

std::vector<Backfill> backfills_of(const std::vector<Migration>& migrations) {
    std::vector<Backfill> out;
    for (const Migration& m : migrations) {
        const auto list = m.view->status.find("backfills");
        if (list == m.view->status.end() || !list->is_array()) {
            continue;
        }
        for (const nlohmann::json& b : *list) {
            const auto step = json_integer(b, "step");
            if (!step) {
                continue; // a step label is what tells two backfills of a migration apart
            }
            out.push_back({m.name, static_cast<int>(*step), json_text(b, "table").value_or(""),
                           json_flag(b, "done"), &b});
        }
    }
    return out;
}

std::string table_of(const std::vector<Backfill>& backfills, const std::string& migration,
                     int step) {
    const auto found = std::find_if(backfills.begin(), backfills.end(), [&](const Backfill& b) {
        return b.migration == migration && b.step == step;
    });
    return found == backfills.end() ? "" : found->table;
}

void migration_families(std::string& out, const std::vector<Migration>& migrations) {
    family(out, "pgphase_migration_phase", "gauge",
           "1 for the phase the migration is in, 0 for every other phase.");
    for (const Migration& m : migrations) {
        const std::string current = json_text(m.view->status, "phase").value_or("");
        for (const std::string_view phase : phases) {
            series(out, "pgphase_migration_phase",
                   {{"migration", m.name}, {"phase", std::string(phase)}},
                   phase == current ? 1 : 0);
        }
        if (!current.empty() && std::find(phases.begin(), phases.end(), current) == phases.end()) {
            series(out, "pgphase_migration_phase", {{"migration", m.name}, {"phase", current}}, 1);
        }
    }
    family(out, "pgphase_migration_steps_done", "gauge", "Planned steps done.");
    for (const Migration& m : migrations) {
        if (const auto done = json_integer(m.view->status, "steps_done")) {
            series(out, "pgphase_migration_steps_done", {{"migration", m.name}},
                   static_cast<double>(*done));
        }
    }
    family(out, "pgphase_migration_steps", "gauge", "Planned steps.");
    for (const Migration& m : migrations) {
        if (const auto total = json_integer(m.view->status, "steps_total")) {
            series(out, "pgphase_migration_steps", {{"migration", m.name}},
                   static_cast<double>(*total));
        }
    }
    family(out, "pgphase_migration_paused", "gauge", "1 while a pgphase pause is in force.");
    for (const Migration& m : migrations) {
        series(out, "pgphase_migration_paused", {{"migration", m.name}},
               json_flag(m.view->status, "paused") ? 1 : 0);
    }
    family(out, "pgphase_migration_soak_remaining_seconds", "gauge",
           "Seconds until complete is allowed by the soak guard; absent before expand finished.");
    for (const Migration& m : migrations) {
        if (const auto remaining = json_number(m.view->status, "soak_remaining_seconds")) {
            series(out, "pgphase_migration_soak_remaining_seconds", {{"migration", m.name}},
                   *remaining);
        }
    }
}

void backfill_families(std::string& out, const std::vector<Backfill>& backfills) {
    family(out, "pgphase_backfill_rows_done", "gauge", "Rows the backfill step has done.");
    for (const Backfill& b : backfills) {
        series(out, "pgphase_backfill_rows_done", b.labels(),
               static_cast<double>(json_integer(*b.status, "rows_done").value_or(0)));
    }
    family(out, "pgphase_backfill_rows_estimated", "gauge",
           "Planner estimate of the rows the backfill step covers; 0 = unknown.");
    for (const Backfill& b : backfills) {
        if (const auto estimated = json_integer(*b.status, "estimated_rows")) {
            series(out, "pgphase_backfill_rows_estimated", b.labels(),
                   static_cast<double>(*estimated));
        }
    }
    family(out, "pgphase_backfill_progress_ratio", "gauge",
           "Progress of the backfill step, 0 to 1 (1 once done).");
    for (const Backfill& b : backfills) {
        const double progress =
            b.done ? 1 : std::clamp(json_number(*b.status, "progress").value_or(0), 0.0, 1.0);
        series(out, "pgphase_backfill_progress_ratio", b.labels(), progress);
    }
    // A finished step does no rows per second, whatever its last report said.
    family(out, "pgphase_backfill_rows_per_second", "gauge",
           "Rows per second over the last few seconds, as last reported.");
    for (const Backfill& b : backfills) {
        series(out, "pgphase_backfill_rows_per_second", b.labels(),
               b.done ? 0 : json_number(*b.status, "rows_per_second").value_or(0));
    }
    family(out, "pgphase_backfill_eta_seconds", "gauge",
           "Estimated seconds until the backfill step is done, as last reported.");
    for (const Backfill& b : backfills) {
        const auto eta = json_number(*b.status, "eta_seconds");
        if (eta && !b.done) {
            series(out, "pgphase_backfill_eta_seconds", b.labels(), *eta);
        }
    }
    family(out, "pgphase_backfill_batch_size", "gauge",
           "Rows per batch (all workers), as last reported.");
    for (const Backfill& b : backfills) {
        if (const auto size = json_integer(*b.status, "batch_size")) {
            series(out, "pgphase_backfill_batch_size", b.labels(), static_cast<double>(*size));
        }
    }
    family(out, "pgphase_backfill_throttled", "gauge",
           "1 for the reason the backfill step is throttled or paused by, 0 for the others.");
    for (const Backfill& b : backfills) {
        const std::string kind =
            b.done ? ""
                   : throttle_kind(json_text(*b.status, "state").value_or(""),
                                   json_text(*b.status, "reason_kind").value_or(""));
        Labels labels = b.labels();
        labels.emplace_back("reason", "");
        for (const std::string_view known : reason_kinds) {
            labels.back().second = known;
            series(out, "pgphase_backfill_throttled", labels, known == kind ? 1 : 0);
        }
        if (!kind.empty() &&
            std::find(reason_kinds.begin(), reason_kinds.end(), kind) == reason_kinds.end()) {
            labels.back().second = kind;
            series(out, "pgphase_backfill_throttled", labels, 1);
        }
    }
}

void histogram_family(std::string& out, const std::vector<Migration>& migrations,
                      const std::vector<Backfill>& backfills) {
    const std::string_view name = "pgphase_backfill_batch_seconds";
    family(out, name, "histogram", "Batch times of the backfill step over its whole life.");
    const std::vector<double>& bounds = BatchHistogram::bounds();
    for (const Migration& m : migrations) {
        for (const auto& [step, histogram] : m.view->batch_histograms) {
            Labels labels = {{"migration", m.name},
                             {"step", std::to_string(step)},
                             {"table", table_of(backfills, m.name, step)},
                             {"le", ""}};
            std::int64_t cumulative = 0;
            for (std::size_t i = 0; i < bounds.size(); ++i) {
                if (i < histogram.bucket_counts.size()) {
                    cumulative += std::max<std::int64_t>(0, histogram.bucket_counts[i]);
                }
                labels.back().second = format_sample_value(bounds[i]);
                series(out, std::string(name) + "_bucket", labels, static_cast<double>(cumulative));
            }
            // +Inf must equal _count and never be below a bucket, or Prometheus computes
            // nonsense quantiles: an inconsistent count (read between two writes) is raised.
            const std::int64_t count = std::max(histogram.count, cumulative);
            labels.back().second = "+Inf";
            series(out, std::string(name) + "_bucket", labels, static_cast<double>(count));
            labels.pop_back();
            series(out, std::string(name) + "_sum", labels, histogram.sum_seconds);
            series(out, std::string(name) + "_count", labels, static_cast<double>(count));
        }
    }
}

} // namespace

std::string escape_label_value(std::string_view raw) {
    const std::string value = valid_utf8(raw);
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string format_sample_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    // Integers (row counts, flags) as digits: the shortest form of 1e6 would be "1e+06".
    constexpr double exact_integers = 9007199254740992.0; // 2^53
    if (value == std::trunc(value) && std::abs(value) < exact_integers) {
        return std::to_string(static_cast<std::int64_t>(value));
    }
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return {buffer.data(), result.ptr};
}

std::string metrics_text(const Snapshot& snapshot) {
    const std::vector<Migration> migrations = migrations_of(snapshot);
    const std::vector<Backfill> backfills = backfills_of(migrations);
    std::string out;
    migration_families(out, migrations);
    backfill_families(out, backfills);
    histogram_family(out, migrations, backfills);
    family(out, "pgphase_lock_retries_total", "counter",
           "Step attempts that gave up on a lock and were retried, all time.");
    for (const Migration& m : migrations) {
        series(out, "pgphase_lock_retries_total", {{"migration", m.name}},
               static_cast<double>(m.view->lock_retries));
    }
    family(out, "pgphase_migrations", "gauge", "Migrations in the state store by phase.");
    std::vector<std::pair<std::string, int>> counts;
    counts.reserve(phases.size());
    for (const std::string_view phase : phases) {
        counts.emplace_back(phase, 0);
    }
    for (const Migration& m : migrations) {
        const std::string phase = json_text(m.view->status, "phase").value_or("");
        auto found = std::find_if(counts.begin(), counts.end(),
                                  [&](const auto& entry) { return entry.first == phase; });
        if (found == counts.end() && !phase.empty()) {
            found = counts.insert(counts.end(), {phase, 0});
        }
        if (found != counts.end()) {
            ++found->second;
        }
    }
    for (const auto& [phase, count] : counts) {
        series(out, "pgphase_migrations", {{"phase", phase}}, count);
    }
    return out;
}

std::string fleet_metrics_text(const std::vector<TargetView>& targets) {
    // Each target's exposition, merged: a family's HELP and TYPE once, then its series from
    // every target, each with target="NAME" first (target names need no escaping).
    std::vector<std::string> order;
    std::map<std::string, std::pair<std::string, std::string>> families; // header, series
    for (const TargetView& target : targets) {
        if (!target.reachable) {
            continue;
        }
        const std::string text = metrics_text(target.snapshot);
        std::string current;
        std::size_t start = 0;
        while (start < text.size()) {
            const std::size_t end = text.find('\n', start);
            const std::string line = text.substr(start, end - start);
            start = end == std::string::npos ? text.size() : end + 1;
            if (line.rfind("# HELP ", 0) == 0) {
                current = line.substr(7, line.find(' ', 7) - 7);
                if (families.count(current) == 0) {
                    order.push_back(current);
                    families[current].first = line + "\n";
                }
                continue;
            }
            if (line.rfind("# TYPE ", 0) == 0) {
                if (families[current].first.find("# TYPE") == std::string::npos) {
                    families[current].first += line + "\n";
                }
                continue;
            }
            if (line.empty()) {
                continue;
            }
            const std::size_t brace = line.find('{');
            const std::size_t space = line.find(' ');
            const std::string label = "target=\"" + target.name + "\"";
            families[current].second +=
                brace != std::string::npos && brace < space
                    ? line.substr(0, brace + 1) + label + "," + line.substr(brace + 1) + "\n"
                    : line.substr(0, space) + "{" + label + "}" + line.substr(space) + "\n";
        }
    }
    std::string out;
    for (const std::string& name : order) {
        out += families[name].first + families[name].second;
    }
    family(out, "pgphase_target_up", "gauge",
           "1 when the target's state store could be read at this scrape, else 0.");
    for (const TargetView& target : targets) {
        series(out, "pgphase_target_up", {{"target", target.name}}, target.reachable ? 1 : 0);
    }
    return out;
}

} // namespace pgphase::orchestrator::serve
