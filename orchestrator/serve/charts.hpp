// Inline SVG charts of a backfill's history (rows/s, mean batch time) with throttle and pause
// periods shaded by reason. Pure: the time axis comes from the samples, never from a clock.
#pragma once

#include "orchestrator/serve/view.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pgphase::orchestrator::serve {

// Rows per second over time. `subject` (e.g. the table) goes into the accessible title.
// Fewer than two samples: a small SVG saying "no samples yet".
std::string rows_per_second_chart(const std::vector<Sample>& samples,
                                  std::string_view subject = {});

// Mean batch time over time; samples without a batch (batch_seconds 0) leave a gap.
std::string batch_time_chart(const std::vector<Sample>& samples, std::string_view subject = {});

// The band colour of a throttle kind (as `throttle_kind` in html.hpp names it); grey if unknown.
std::string_view throttle_colour(std::string_view kind);

} // namespace pgphase::orchestrator::serve
