// Text helpers. Pure.
#include "planners/model/text.hpp"

namespace pgphase::planners {

std::string indent(const std::string& text, const std::string& prefix) {
    std::string out = prefix;
    for (char c : text) {
        out += c;
        if (c == '\n') {
            out += prefix;
        }
    }
    return out;
}

} // namespace pgphase::planners
