// Prometheus metrics of every migration and backfill in a snapshot, text exposition format
// 0.0.4. Pure: what a scrape returns depends only on the snapshot.
#pragma once

#include "orchestrator/serve/view.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pgphase::orchestrator::serve {

// The Content-Type a scrape of metrics_text must be served with.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// Every family with one # HELP and one # TYPE line, series or not; families of each
// migration's backfills grouped by family, as the format requires.
std::string metrics_text(const Snapshot& snapshot);

// `serve --fleet`: every reachable target's metrics with a `target` label first, each family
// once, and pgphase_target_up{target} for every target (0: its state store could not be read).
std::string fleet_metrics_text(const std::vector<TargetView>& targets);

// A label value inside its double quotes: backslash, double quote and newline escaped, invalid
// UTF-8 replaced (Prometheus rejects the whole scrape otherwise).
std::string escape_label_value(std::string_view value);

// A sample value Prometheus parses: integers without exponent, NaN, +Inf, -Inf; no locale.
std::string format_sample_value(double value);

} // namespace pgphase::orchestrator::serve
