// Inline SVG charts of a backfill's history with throttle/pause bands and a legend. Pure: no
// clock (the time axis spans the samples), no scripts, no external references.
#include "orchestrator/serve/charts.hpp"

#include "orchestrator/serve/html.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <utility>

namespace pgphase::orchestrator::serve {

namespace {

// A fixed viewBox scaled to the page width: coordinates below are in these units.
// Small enough that 12-unit text stays readable when a phone shrinks the chart to its width.
constexpr double view_width = 480;
constexpr double view_height = 216;
constexpr double plot_left = 50;
constexpr double plot_right = view_width - 12;
constexpr double plot_top = 44; // room for two legend rows
constexpr double plot_bottom = view_height - 24;
constexpr double legend_row = 17;
constexpr double char_width = 6.8; // of the 12-unit sans-serif text, to wrap the legend
constexpr std::string_view line_colour = "#2b6cb0";

// Known kinds in a fixed order, so the legend and colours do not shuffle between refreshes.
// Okabe-Ito colours: told apart with the common colour-vision deficiencies.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kind_colours = {{
    {"pause", "#0072b2"},
    {"health_probe", "#e69f00"},
    {"replica_lag", "#d55e00"},
    {"blocked_sessions", "#cc79a7"},
    {"long_transaction", "#f0e442"},
    {"autovacuum", "#009e73"},
    {"wal_rate", "#56b4e9"},
    {"health_query", "#8b6c42"},
}};

struct ChartSpec {
    std::string_view title; // "Rows per second"
    std::string_view unit;  // shown above the value axis
    std::function<double(const Sample&)> value;
    std::function<std::string(double)> label; // a tick value
    std::string_view suffix;                  // after a value in the description
    bool zero_is_gap = false;                 // 0 means "nothing measured", not "zero"
};

std::string coordinate(double value) {
    return format_decimal(value, 1);
}

// "2.50" -> "2.5", "3.00" -> "3": tick labels stay short.
std::string trimmed(double value, int decimals) {
    std::string out = format_decimal(value, decimals);
    if (out.find('.') != std::string::npos) {
        out.erase(out.find_last_not_of('0') + 1);
        if (out.back() == '.') {
            out.pop_back();
        }
    }
    return out;
}

std::string compact(double value) {
    if (std::abs(value) >= 1e6) {
        return trimmed(value / 1e6, 2) + "M";
    }
    if (std::abs(value) >= 1e3) {
        return trimmed(value / 1e3, 2) + "k";
    }
    return trimmed(value, 2);
}

std::string seconds_label(double seconds) {
    if (seconds != 0 && std::abs(seconds) < 1) {
        return trimmed(seconds * 1000, 1) + "ms";
    }
    return trimmed(seconds, 2) + "s";
}

// The smallest of 1, 2, 2.5, 5 (times a power of ten) at least `raw`.
double nice_step(double raw) {
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (factor * magnitude >= raw * (1 - 1e-9)) {
            return factor * magnitude;
        }
    }
    return 10 * magnitude;
}

// A time step giving at most six ticks; whole minutes once the span allows it.
std::int64_t time_step_ms(std::int64_t span_ms) {
    constexpr std::array<std::int64_t, 15> steps = {
        10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
    for (const std::int64_t seconds : steps) {
        if (span_ms / (seconds * 1000) <= 6) {
            return seconds * 1000;
        }
    }
    const std::int64_t day_ms = 86'400'000;
    return day_ms * (span_ms / (day_ms * 6) + 1);
}

std::string readable_kind(std::string_view kind) {
    std::string out(kind);
    std::replace(out.begin(), out.end(), '_', ' ');
    return out;
}

struct Band {
    std::string kind;
    std::string what; // "throttled: replica lag 12 MB > 10 MB", for the tooltip
    std::int64_t from_ms = 0;
    std::int64_t to_ms = 0;
};

// Consecutive throttled/paused samples of one kind make one band, from the first of them to
// the sample after the last (the state held until the next report).
std::vector<Band> bands_of(const std::vector<Sample>& samples) {
    std::vector<Band> bands;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const std::string kind = throttle_kind(samples[i].state, samples[i].reason_kind);
        const std::int64_t end = i + 1 < samples.size() ? samples[i + 1].at_ms : samples[i].at_ms;
        if (kind.empty()) {
            continue;
        }
        if (!bands.empty() && bands.back().kind == kind && bands.back().to_ms == samples[i].at_ms) {
            bands.back().to_ms = end;
            continue;
        }
        std::string what = samples[i].state;
        if (!samples[i].reason.empty()) {
            what += ": " + samples[i].reason;
        }
        bands.push_back({kind, std::move(what), samples[i].at_ms, end});
    }
    return bands;
}

// Known kinds first in their fixed order, then any other in order of appearance.
std::vector<std::string> kinds_present(const std::vector<Band>& bands) {
    std::vector<std::string> kinds;
    for (const auto& entry : kind_colours) {
        const std::string_view kind = entry.first;
        if (std::any_of(bands.begin(), bands.end(),
                        [&](const Band& b) { return b.kind == kind; })) {
            kinds.emplace_back(kind);
        }
    }
    for (const Band& band : bands) {
        if (std::find(kinds.begin(), kinds.end(), band.kind) == kinds.end()) {
            kinds.push_back(band.kind);
        }
    }
    return kinds;
}

std::string svg_open(double height, std::string_view title, std::string_view description) {
    return fill(R"(<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" )"
                R"(font-family="system-ui, sans-serif" font-size="12" fill="currentColor">)"
                R"(<title>{title}</title><desc>{description}</desc>)",
                {{"width", format_decimal(view_width, 0)},
                 {"height", format_decimal(height, 0)},
                 {"title", html_escape(title)},
                 {"description", html_escape(description)}});
}

std::string no_samples(std::string_view title) {
    return svg_open(40, std::string(title) + ": no samples yet",
                    "the backfill has not reported twice yet") +
           fill(R"(<text x="{x}" y="24" text-anchor="middle" opacity="0.7">no samples yet</text>)",
                {{"x", coordinate(view_width / 2)}}) +
           "</svg>";
}

std::string legend(const std::vector<std::string>& kinds) {
    std::string out;
    double x = plot_left;
    double y = 4;
    for (const std::string& kind : kinds) {
        const std::string label = readable_kind(kind);
        const double item = 14 + char_width * static_cast<double>(label.size()) + 14;
        if (x > plot_left && x + item > plot_right) {
            x = plot_left;
            y += legend_row;
        }
        out += fill(R"(<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}" )"
                    R"(fill-opacity="0.5"/><text x="{text_x}" y="{text_y}">{label}</text>)",
                    {{"x", coordinate(x)},
                     {"y", coordinate(y + 1)},
                     {"colour", std::string(throttle_colour(kind))},
                     {"text_x", coordinate(x + 14)},
                     {"text_y", coordinate(y + 10)},
                     {"label", html_escape(label)}});
        x += item;
    }
    return out;
}

// Where samples land: time across, value up, both clamped to the plot.
struct Frame {
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 1; // > first_ms: a chart of one instant divides by 1, not 0
    double value_step = 1;
    double value_top = 4;

    double x(std::int64_t at_ms) const {
        const double ratio = static_cast<double>(std::clamp(at_ms, first_ms, last_ms) - first_ms) /
                             static_cast<double>(last_ms - first_ms);
        return plot_left + ratio * (plot_right - plot_left);
    }
    double y(double value) const {
        return plot_bottom - std::min(value, value_top) / value_top * (plot_bottom - plot_top);
    }
};

std::string bands_svg(const std::vector<Band>& bands, const Frame& frame) {
    std::string out;
    for (const Band& band : bands) {
        const double x = frame.x(band.from_ms);
        out += fill(R"(<rect class="band" data-kind="{kind}" x="{x}" y="{y}" width="{width}" )"
                    R"(height="{height}" fill="{colour}" fill-opacity="0.25">)"
                    R"(<title>{what}</title></rect>)",
                    {{"kind", html_escape(band.kind)},
                     {"x", coordinate(x)},
                     {"y", coordinate(plot_top)},
                     {"width", coordinate(std::max(2.0, frame.x(band.to_ms) - x))},
                     {"height", coordinate(plot_bottom - plot_top)},
                     {"colour", std::string(throttle_colour(band.kind))},
                     {"what", html_escape(band.what)}});
    }
    return out;
}

// Gridlines with labels, the unit above them.
std::string value_axis(const Frame& frame, const ChartSpec& spec) {
    std::string out = fill(R"(<text x="4" y="{y}" opacity="0.8">{unit}</text>)",
                           {{"y", coordinate(plot_top - 6)}, {"unit", html_escape(spec.unit)}});
    const long long ticks = std::llround(frame.value_top / frame.value_step);
    for (long long i = 0; i <= ticks; ++i) {
        const double value = static_cast<double>(i) * frame.value_step;
        const double y = frame.y(value);
        out += fill(R"(<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="currentColor" )"
                    R"(stroke-opacity="{opacity}"/>)"
                    R"(<text x="{label_x}" y="{label_y}" text-anchor="end">{label}</text>)",
                    {{"left", coordinate(plot_left)},
                     {"right", coordinate(plot_right)},
                     {"y", coordinate(y)},
                     {"opacity", i == 0 ? "0.5" : "0.12"},
                     {"label_x", coordinate(plot_left - 6)},
                     {"label_y", coordinate(y + 4)},
                     {"label", html_escape(spec.label(value))}});
    }
    return out;
}

// Round times of day, HH:MM (HH:MM:SS under a minute's step).
std::string time_axis(const Frame& frame) {
    std::string out;
    const std::int64_t step_ms = time_step_ms(frame.last_ms - frame.first_ms);
    std::int64_t tick =
        (frame.first_ms / step_ms + (frame.first_ms % step_ms > 0 ? 1 : 0)) * step_ms;
    if (tick > frame.last_ms) {
        tick = frame.first_ms;
    }
    for (; tick <= frame.last_ms; tick += step_ms) {
        out += fill(R"(<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="currentColor" )"
                    R"(stroke-opacity="0.5"/>)"
                    R"(<text x="{x}" y="{label_y}" text-anchor="middle">{label}</text>)",
                    {{"x", coordinate(frame.x(tick))},
                     {"top", coordinate(plot_bottom)},
                     {"bottom", coordinate(plot_bottom + 4)},
                     {"label_y", coordinate(plot_bottom + 16)},
                     {"label", format_clock(tick, step_ms < 60'000)}});
    }
    return out + fill(R"(<text x="2" y="{y}" font-size="10" opacity="0.8">UTC</text>)",
                      {{"y", coordinate(plot_bottom + 16)}});
}

// The line, broken where nothing was measured; a lone point between gaps is a dot.
std::string line_svg(const std::vector<Sample>& samples, const Frame& frame,
                     const std::function<bool(const Sample&)>& measured, const ChartSpec& spec) {
    std::string path;
    std::string dots;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (!measured(samples[i])) {
            continue;
        }
        const std::string x = coordinate(frame.x(samples[i].at_ms));
        const std::string y = coordinate(frame.y(spec.value(samples[i])));
        const bool joins = i > 0 && measured(samples[i - 1]);
        const bool continues = i + 1 < samples.size() && measured(samples[i + 1]);
        if (!joins && !continues) {
            dots += fill(R"(<circle cx="{x}" cy="{y}" r="2" fill="{colour}"/>)",
                         {{"x", x}, {"y", y}, {"colour", std::string(line_colour)}});
            continue;
        }
        path += (path.empty() ? "" : " ") + std::string(joins ? "L" : "M") + x + " " + y;
    }
    if (path.empty()) {
        return dots;
    }
    return fill(R"(<path d="{d}" fill="none" stroke="{colour}" stroke-width="2" )"
                R"(stroke-linejoin="round"/>)",
                {{"d", path}, {"colour", std::string(line_colour)}}) +
           dots;
}

std::string line_chart(const std::vector<Sample>& samples, std::string_view subject,
                       const ChartSpec& spec) {
    const std::string title = subject.empty()
                                  ? std::string(spec.title)
                                  : std::string(spec.title) + " — " + std::string(subject);
    if (samples.size() < 2) {
        return no_samples(title);
    }
    const std::function<bool(const Sample&)> measured = [&](const Sample& s) {
        const double v = spec.value(s);
        return std::isfinite(v) && v >= 0 && !(spec.zero_is_gap && v == 0);
    };
    Frame frame;
    frame.first_ms = samples.front().at_ms;
    frame.last_ms = std::max(samples.back().at_ms, frame.first_ms + 1);
    double peak = 0;
    for (const Sample& s : samples) {
        if (measured(s)) {
            peak = std::max(peak, spec.value(s));
        }
    }
    if (peak > 0) {
        frame.value_step = nice_step(peak / 4);
        frame.value_top = frame.value_step * std::ceil(peak / frame.value_step - 1e-9);
    }

    const std::vector<Band> bands = bands_of(samples);
    const std::vector<std::string> kinds = kinds_present(bands);
    std::string description = "from " + format_clock(frame.first_ms) + " to " +
                              format_clock(frame.last_ms) + " UTC; peak " + spec.label(peak) +
                              std::string(spec.suffix);
    const auto latest = std::find_if(samples.rbegin(), samples.rend(), measured);
    if (latest != samples.rend()) {
        description += ", latest " + spec.label(spec.value(*latest)) + std::string(spec.suffix);
    }
    if (!kinds.empty()) {
        description += "; shaded: throttled or paused (";
        for (std::size_t i = 0; i < kinds.size(); ++i) {
            description += (i > 0 ? ", " : "") + readable_kind(kinds[i]);
        }
        description += ")";
    }
    return svg_open(view_height, title, description) + bands_svg(bands, frame) + legend(kinds) +
           value_axis(frame, spec) + time_axis(frame) + line_svg(samples, frame, measured, spec) +
           "</svg>";
}

} // namespace

std::string_view throttle_colour(std::string_view kind) {
    for (const auto& [known, colour] : kind_colours) {
        if (known == kind) {
            return colour;
        }
    }
    return "#999999";
}

std::string rows_per_second_chart(const std::vector<Sample>& samples, std::string_view subject) {
    return line_chart(samples, subject,
                      {"Rows per second", "rows/s",
                       [](const Sample& s) { return s.rows_per_second; }, compact, " rows/s",
                       false});
}

std::string batch_time_chart(const std::vector<Sample>& samples, std::string_view subject) {
    return line_chart(samples, subject,
                      {"Mean batch time", "batch time",
                       [](const Sample& s) { return s.batch_seconds; }, seconds_label, "", true});
}

} // namespace pgphase::orchestrator::serve
