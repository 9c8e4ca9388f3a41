// Escaping, number/time formatting and tolerant `status --json` readers shared by the serve
// renderers. Pure: no clock, no locale, no global state.
#include "orchestrator/serve/html.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

namespace pgphase::orchestrator::serve {

namespace {

std::string two_digits(long value) {
    std::string out = std::to_string(value);
    return out.size() < 2 ? "0" + out : out;
}

// The length of the valid UTF-8 sequence at the start of `text`, 0 if it is not one
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80U) {
        return 1;
    }
    std::size_t length = 0;
    unsigned char low = 0x80U;
    unsigned char high = 0xBFU;
    if (lead >= 0xC2U && lead <= 0xDFU) {
        length = 2;
    } else if (lead >= 0xE0U && lead <= 0xEFU) {
        length = 3;
        low = lead == 0xE0U ? 0xA0U : 0x80U;
        high = lead == 0xEDU ? 0x9FU : 0xBFU;
    } else if (lead >= 0xF0U && lead <= 0xF4U) {
        length = 4;
        low = lead == 0xF0U ? 0x90U : 0x80U;
        high = lead == 0xF4U ? 0x8FU : 0xBFU;
    } else {
        return 0;
    }
    if (text.size() < length || byte(1) < low || byte(1) > high) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80U || byte(i) > 0xBFU) {
            return 0;
        }
    }
    return length;
}

} // namespace

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t length = utf8_sequence(text);
        if (length == 0) {
            out += "\xEF\xBF\xBD";
            text.remove_prefix(1);
        } else {
            out += text.substr(0, length);
            text.remove_prefix(length);
        }
    }
    return out;
}

std::string html_escape(std::string_view raw) {
    const std::string text = valid_utf8(raw);
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string fill(std::string_view pattern,
                 std::initializer_list<std::pair<std::string_view, std::string>> values) {
    std::string out;
    out.reserve(pattern.size() + 64);
    std::size_t at = 0;
    while (at < pattern.size()) {
        const std::size_t open = pattern.find('{', at);
        const std::size_t close =
            open == std::string_view::npos ? open : pattern.find('}', open + 1);
        if (close == std::string_view::npos) {
            break;
        }
        out += pattern.substr(at, open - at);
        const std::string_view name = pattern.substr(open + 1, close - open - 1);
        const auto* value = std::find_if(values.begin(), values.end(),
                                         [&](const auto& entry) { return entry.first == name; });
        if (value == values.end()) {
            out += pattern.substr(open, 1); // not a placeholder: rescan from after the brace
            at = open + 1;
            continue;
        }
        out += value->second;
        at = close + 1;
    }
    out += pattern.substr(std::min(at, pattern.size()));
    return out;
}

std::string format_count(std::int64_t value) {
    // Through the unsigned magnitude: negating INT64_MIN would overflow.
    const bool negative = value < 0;
    const std::uint64_t magnitude =
        negative ? ~static_cast<std::uint64_t>(value) + 1U : static_cast<std::uint64_t>(value);
    const std::string digits = std::to_string(magnitude);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return negative ? "-" + out : out;
}

std::string format_decimal(double value, int decimals) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    // A tiny negative value would print as "-0.0".
    if (std::abs(value) < 0.5 * std::pow(10.0, -decimals)) {
        value = 0;
    }
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                      std::chars_format::fixed, decimals);
    if (result.ec != std::errc()) {
        return "n/a"; // beyond 1e60: no backfill gets there
    }
    return {buffer.data(), result.ptr};
}

std::string format_seconds(double seconds) {
    if (!std::isfinite(seconds)) {
        return "n/a";
    }
    constexpr double minute = 60;
    constexpr double hour = 3600;
    constexpr double day = 86400;
    const double up = std::ceil(std::max(0.0, seconds));
    if (up < minute) {
        return std::to_string(std::llround(up)) + "s";
    }
    if (up < hour) {
        const long long total = std::llround(up);
        return std::to_string(total / 60) + "m " + two_digits(static_cast<long>(total % 60)) + "s";
    }
    if (up < day) {
        const long long total = std::llround(std::ceil(up / minute));
        if (total >= 24LL * 60) {
            return "1d 00h";
        }
        return std::to_string(total / 60) + "h " + two_digits(static_cast<long>(total % 60)) + "m";
    }
    const long long total = std::llround(std::ceil(up / hour));
    return std::to_string(total / 24) + "d " + two_digits(static_cast<long>(total % 24)) + "h";
}

std::string format_percent(double ratio) {
    if (!std::isfinite(ratio)) {
        return "n/a";
    }
    const double clamped = std::clamp(ratio, 0.0, 1.0);
    long long tenths = std::llround(clamped * 1000);
    if (clamped < 1 && tenths >= 1000) {
        tenths = 999;
    }
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

std::string format_timestamp(std::int64_t epoch_ms) {
    using namespace std::chrono;
    const sys_time<milliseconds> at{milliseconds{epoch_ms}};
    const sys_days day = floor<days>(at);
    const year_month_day date{day};
    const hh_mm_ss time{floor<seconds>(at - day)};
    return std::to_string(static_cast<int>(date.year())) + "-" +
           two_digits(static_cast<long>(static_cast<unsigned>(date.month()))) + "-" +
           two_digits(static_cast<long>(static_cast<unsigned>(date.day()))) + " " +
           two_digits(time.hours().count()) + ":" + two_digits(time.minutes().count()) + ":" +
           two_digits(static_cast<long>(time.seconds().count())) + "Z";
}

std::string format_clock(std::int64_t epoch_ms, bool with_seconds) {
    using namespace std::chrono;
    const sys_time<milliseconds> at{milliseconds{epoch_ms}};
    const hh_mm_ss time{floor<seconds>(at - floor<days>(at))};
    std::string out = two_digits(time.hours().count()) + ":" + two_digits(time.minutes().count());
    if (with_seconds) {
        out += ":" + two_digits(static_cast<long>(time.seconds().count()));
    }
    return out;
}

std::string throttle_kind(std::string_view state, std::string_view reason_kind) {
    if (state != "throttled" && state != "paused") {
        return "";
    }
    if (!reason_kind.empty()) {
        return std::string(reason_kind);
    }
    return state == "paused" ? "pause" : "unknown";
}

std::optional<std::string> json_text(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) {
        return std::nullopt;
    }
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) {
        return std::nullopt;
    }
    return found->get<std::string>();
}

std::optional<double> json_number(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) {
        return std::nullopt;
    }
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number()) {
        return std::nullopt;
    }
    const auto value = found->get<double>();
    return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
}

std::optional<std::int64_t> json_integer(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) {
        return std::nullopt;
    }
    const auto found = object.find(key);
    if (found == object.end()) {
        return std::nullopt;
    }
    if (found->is_number_unsigned()) {
        const auto value = found->get<std::uint64_t>();
        if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(value);
    }
    if (found->is_number_integer()) {
        return found->get<std::int64_t>();
    }
    if (found->is_number_float()) {
        const auto value = found->get<double>();
        // 2^63 is the first double beyond int64: anything at or past it would not convert.
        if (std::isfinite(value) && std::abs(value) < 9.2e18) {
            return std::llround(value);
        }
    }
    return std::nullopt;
}

bool json_flag(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) {
        return false;
    }
    const auto found = object.find(key);
    return found != object.end() && found->is_boolean() && found->get<bool>();
}

} // namespace pgphase::orchestrator::serve
