// Source slices for parse-tree nodes, checked by parsing them again. Pure.
#include "planners/convert/node_text.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <pg_query.h>

namespace pgphase::planners::convert {

namespace {

using nlohmann::json;

json without_locations(const json& node) {
    if (node.is_object()) {
        json out = json::object();
        for (const auto& [key, value] : node.items()) {
            if (key != "location") {
                out[key] = without_locations(value);
            }
        }
        return out;
    }
    if (node.is_array()) {
        json out = json::array();
        for (const json& item : node) {
            out.push_back(without_locations(item));
        }
        return out;
    }
    return node;
}

void min_location(const json& node, long& out) {
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            if (key == "location" && value.is_number_integer()) {
                const long at = value.get<long>();
                if (at >= 0) {
                    out = std::min(out, at);
                }
            } else {
                min_location(value, out);
            }
        }
    } else if (node.is_array()) {
        for (const json& item : node) {
            min_location(item, out);
        }
    }
}

// The single target's value of `SELECT <prefix><text>`, location-free; null when it does not
// parse to exactly that.
json target_of(const std::string& sql) {
    json out;
    PgQueryParseResult result = pg_query_parse(sql.c_str());
    if (result.error == nullptr) {
        const json tree = json::parse(result.parse_tree);
        const json& stmts = tree.at("stmts");
        if (stmts.size() == 1 && stmts[0].contains("stmt") &&
            stmts[0]["stmt"].contains("SelectStmt")) {
            const json& select = stmts[0]["stmt"]["SelectStmt"];
            if (select.contains("targetList") && select["targetList"].size() == 1 &&
                !select.contains("fromClause") && !select.contains("whereClause")) {
                out = without_locations(select["targetList"][0]["ResTarget"].value("val", json()));
            }
        }
    }
    pg_query_free_parse_result(result);
    return out;
}

bool boundary(std::string_view text, std::size_t end) {
    if (end >= text.size()) {
        return true;
    }
    const char c = text[end];
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ',' || c == ')' || c == ';';
}

// Tries slices starting at the node's leftmost location (or an opening parenthesis before
// it) and ending at each token boundary after it; the first whose tree matches wins.
std::optional<std::string> find_slice(std::string_view statement, const json& node,
                                      const std::string& prefix,
                                      const std::function<json(const json&)>& pick) {
    long leftmost = std::numeric_limits<long>::max();
    min_location(node, leftmost);
    if (leftmost == std::numeric_limits<long>::max() ||
        static_cast<std::size_t>(leftmost) >= statement.size()) {
        return std::nullopt;
    }
    const json wanted = without_locations(node);
    std::vector<std::size_t> starts = {static_cast<std::size_t>(leftmost)};
    for (auto i = static_cast<std::size_t>(leftmost); i > 0 && starts.size() < 4;) {
        --i;
        const char c = statement[i];
        if (c == '(') {
            starts.push_back(i);
        } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            break;
        }
    }
    for (std::size_t start : starts) {
        for (std::size_t end = start + 1; end <= statement.size(); ++end) {
            if (!boundary(statement, end)) {
                continue;
            }
            const std::string slice(statement.substr(start, end - start));
            const json got = pick(target_of(prefix + slice));
            if (!got.is_null() && got == wanted) {
                return slice;
            }
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> expression_text(std::string_view statement, const json& node) {
    return find_slice(statement, node, "SELECT ", [](const json& value) { return value; });
}

std::optional<std::string> type_text(std::string_view statement, const json& type_name) {
    return find_slice(statement, type_name, "SELECT NULL::", [](const json& value) {
        if (value.is_object() && value.contains("TypeCast")) {
            return value["TypeCast"].value("typeName", json());
        }
        return json();
    });
}

} // namespace pgphase::planners::convert
