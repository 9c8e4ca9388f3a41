// Small text helpers shared by the renderers (plan steps, lint findings). Pure.
#pragma once

#include <cstdint>
#include <string>

namespace pgphase::planners {

// `text` with `prefix` before its first line and after every newline.
std::string indent(const std::string& text, const std::string& prefix);

// GitHub Actions workflow commands (`::error file=...::message`): the message escapes %, CR and
// LF; a property (file=, title=) also `:` and `,`.
std::string github_escape_data(const std::string& text);
std::string github_escape_property(const std::string& text);

// A size for humans, in powers of 1024: 512 bytes, 1.5 kB, 3.2 GB.
std::string size_text(std::int64_t bytes);

} // namespace pgphase::planners
