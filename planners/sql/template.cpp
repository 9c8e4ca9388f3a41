// The renderer of planners/sql/template.hpp: one pass over the template. Pure.
#include "planners/sql/template.hpp"

#include "planners/sql/quote.hpp"

#include <stdexcept>
#include <vector>

namespace pgphase::planners {

namespace {

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

[[noreturn]] void fail(const std::string& problem, std::string_view sql_template) {
    std::string_view first_line = sql_template.substr(0, sql_template.find('\n'));
    if (first_line.empty()) {
        const auto start = sql_template.find_first_not_of('\n');
        first_line =
            start == std::string_view::npos ? std::string_view{} : sql_template.substr(start);
        first_line = first_line.substr(0, first_line.find('\n'));
    }
    throw std::logic_error("sql template: " + problem + " in template \"" +
                           std::string(first_line) + "\"");
}

} // namespace

Quoted ident(std::string_view identifier) {
    return Quoted(quote_ident(identifier));
}

Quoted literal(std::string_view text) {
    return Quoted(quote_literal(text));
}

Quoted qualified(const QualifiedName& name) {
    return Quoted(name.sql());
}

Quoted expression_sql(const Expression& expression) {
    return Quoted(expression.sql);
}

Quoted type_sql(const TypeName& type) {
    return Quoted(type.sql);
}

Quoted dollar_quoted(const Quoted& body) {
    return Quoted(dollar_quote(body.str()));
}

Quoted render_sql(std::string_view sql_template,
                  std::initializer_list<std::pair<std::string_view, Quoted>> values) {
    std::vector<bool> used(values.size(), false);
    for (auto it = values.begin(); it != values.end(); ++it) {
        for (auto other = values.begin(); other != it; ++other) {
            if (other->first == it->first) {
                fail("value {" + std::string(it->first) + "} given twice", sql_template);
            }
        }
    }
    std::string out;
    out.reserve(sql_template.size());
    std::size_t at = 0;
    while (at < sql_template.size()) {
        const char c = sql_template[at];
        if (c == '}') {
            if (at + 1 < sql_template.size() && sql_template[at + 1] == '}') {
                out += '}';
                at += 2;
                continue;
            }
            fail("lone '}' at offset " + std::to_string(at) + " (write '}}')", sql_template);
        }
        if (c != '{') {
            out += c;
            ++at;
            continue;
        }
        if (at + 1 < sql_template.size() && sql_template[at + 1] == '{') {
            out += '{';
            at += 2;
            continue;
        }
        std::size_t end = at + 1;
        while (end < sql_template.size() && name_char(sql_template[end])) {
            ++end;
        }
        if (end == at + 1 || !name_start(sql_template[at + 1]) || end >= sql_template.size() ||
            sql_template[end] != '}') {
            fail("lone '{' at offset " + std::to_string(at) + " (write '{{')", sql_template);
        }
        const std::string_view name = sql_template.substr(at + 1, end - at - 1);
        bool found = false;
        std::size_t index = 0;
        for (const auto& [key, value] : values) {
            if (key == name) {
                out += value.str();
                used[index] = true;
                found = true;
                break;
            }
            ++index;
        }
        if (!found) {
            fail("no value for placeholder {" + std::string(name) + "}", sql_template);
        }
        at = end + 1;
    }
    std::size_t index = 0;
    for (const auto& [key, value] : values) {
        if (!used[index++]) {
            fail("value {" + std::string(key) + "} is not used", sql_template);
        }
    }
    return Quoted(std::move(out));
}

} // namespace pgphase::planners
