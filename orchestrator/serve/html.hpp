// Escaping, number/time formatting and tolerant `status --json` readers shared by the serve
// renderers (pages, charts, metrics). Pure: no clock, no locale, no global state.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pgphase::orchestrator::serve {

// Text safe in HTML/SVG element content and in quoted attribute values: & < > " ' escaped,
// invalid UTF-8 replaced (as valid_utf8 does).
std::string html_escape(std::string_view text);

// The text with each byte that is not part of a valid UTF-8 sequence replaced by U+FFFD: a
// SQL_ASCII database can hold any bytes in a name, and a scrape with invalid UTF-8 fails.
std::string valid_utf8(std::string_view text);

// `pattern` with each {name} replaced by its value in one pass (a value is never scanned for
// placeholders); an unknown {name} stays as it is. Values go in as given: escape text first.
// fill(R"(<a href="{href}">{text}</a>)", {{"href", ...}, {"text", html_escape(name)}})
std::string fill(std::string_view pattern,
                 std::initializer_list<std::pair<std::string_view, std::string>> values);

// 1234567 -> "1,234,567" (no locale: a scrape or page reads the same everywhere).
std::string format_count(std::int64_t value);

// A fixed-point number without locale and without exponent: (2.345, 1) -> "2.3".
std::string format_decimal(double value, int decimals);

// Seconds as at most two units, rounded up (waiting that long is always enough, as the soak
// guard words it): "0s", "42s", "3m 05s", "1h 02m", "6d 23h".
std::string format_seconds(double seconds);

// A ratio 0..1 as "42.5%"; below 1 it never shows "100.0%" (that reads as done).
std::string format_percent(double ratio);

// Epoch milliseconds as UTC: "2026-12-06 15:04:05Z".
std::string format_timestamp(std::int64_t epoch_ms);

// Epoch milliseconds as a UTC time of day: "15:04", or "15:04:05" with seconds.
std::string format_clock(std::int64_t epoch_ms, bool with_seconds = false);

// The throttle kind a backfill state stands for: `reason_kind`; "pause" for a pause that
// reports no kind (a `pgphase pause` is the only thing that pauses); "unknown" for a throttle
// without one; "" when neither throttled nor paused.
std::string throttle_kind(std::string_view state, std::string_view reason_kind);

// Readers of one `status --json` field that never throw: a missing key or a value of another
// type reads as absent (the page of a half-written status must still render).
std::optional<std::string> json_text(const nlohmann::json& object, const char* key);
std::optional<double> json_number(const nlohmann::json& object, const char* key);
std::optional<std::int64_t> json_integer(const nlohmann::json& object, const char* key);
bool json_flag(const nlohmann::json& object, const char* key); // absent = false

} // namespace pgphase::orchestrator::serve
