// The YAML reading machinery shared by every operation's loader. Pure.
#include "planners/load/reader.hpp"

#include "planners/load/plan_loader.hpp"
#include "planners/model/suggest.hpp"
#include "planners/sql/expression.hpp"
#include "planners/sql/quote.hpp"

namespace pgphase::planners {

std::optional<YAML::Node> Loader::parse_mapping(const std::string& text,
                                                const std::string& not_a_map,
                                                const std::string& hint) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        m_diagnostics.error({m_file, e.mark.line + 1, e.mark.column + 1}, "invalid YAML: " + e.msg);
        return std::nullopt;
    }
    if (!root.IsMap()) {
        m_diagnostics.error({m_file, 1, 1}, not_a_map, hint);
        return std::nullopt;
    }
    return root;
}

int Loader::line_count() {
    if (m_text == nullptr) {
        return 0;
    }
    if (m_line_starts.empty()) {
        m_line_starts.push_back(0);
        for (std::size_t i = 0; i < m_text->size(); ++i) {
            if ((*m_text)[i] == '\n' && i + 1 < m_text->size()) {
                m_line_starts.push_back(i + 1);
            }
        }
    }
    return static_cast<int>(m_line_starts.size());
}

std::string_view Loader::line(int line) {
    if (line < 1 || line > line_count()) {
        return {};
    }
    const std::size_t begin = m_line_starts[static_cast<std::size_t>(line) - 1];
    const std::size_t end = std::min(m_text->find('\n', begin), m_text->size());
    return std::string_view(*m_text).substr(begin, end - begin);
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& choices) {
    if (std::string hint = did_you_mean_hint(word, choices); !hint.empty()) {
        return hint;
    }
    std::string all;
    for (const auto& choice : choices) {
        all += all.empty() ? "" : ", ";
        all += choice;
    }
    return "expected one of: " + all;
}

MapReader::MapReader(Loader& loader, const YAML::Node& node, std::string what,
                     std::vector<std::string> known)
    : m_loader(loader)
    , m_node(node)
    , m_what(std::move(what))
    , m_known(std::move(known)) {
    if (!node.IsMap()) {
        m_loader.error(node, m_what + " must be a mapping");
        m_ok = false;
        return;
    }
    std::set<std::string> seen;
    for (const auto& item : node) {
        if (!item.first.IsScalar()) {
            m_loader.error(item.first, "keys in " + m_what + " must be plain names");
            continue;
        }
        const auto key = item.first.Scalar();
        if (!seen.insert(key).second) {
            m_loader.error(item.first, "duplicate key \"" + key + "\" in " + m_what);
            continue;
        }
        m_fields.emplace(key, std::make_pair(item.first, item.second));
    }
}

YAML::Node MapReader::get(const std::string& key) {
    m_used.insert(key);
    auto it = m_fields.find(key);
    return it == m_fields.end() ? YAML::Node(YAML::NodeType::Undefined) : it->second.second;
}

YAML::Node MapReader::require(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined() && m_ok) {
        m_loader.error(m_node, m_what + " is missing required field \"" + key + "\"");
    }
    return value;
}

std::optional<std::string> MapReader::string(const std::string& key, bool required) {
    YAML::Node value = required ? require(key) : get(key);
    if (!value.IsDefined()) {
        return std::nullopt;
    }
    if (!value.IsScalar()) {
        m_loader.error(value, "\"" + key + "\" in " + m_what + " must be a string");
        return std::nullopt;
    }
    return value.Scalar();
}

std::optional<std::string> MapReader::identifier(const std::string& key, bool required) {
    auto text = string(key, required);
    if (text) {
        if (auto problem = identifier_problem(*text)) {
            m_loader.error(get(key), "bad identifier for \"" + key + "\": " + *problem);
            return std::nullopt;
        }
    }
    return text;
}

std::optional<bool> MapReader::boolean(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined()) {
        return std::nullopt;
    }
    bool result = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result)) {
        m_loader.error(value, "\"" + key + "\" must be true or false");
        return std::nullopt;
    }
    return result;
}

std::optional<std::int64_t> MapReader::integer(const std::string& key, std::int64_t minimum) {
    YAML::Node value = get(key);
    if (!value.IsDefined()) {
        return std::nullopt;
    }
    std::int64_t result = 0;
    if (!value.IsScalar() || !YAML::convert<std::int64_t>::decode(value, result)) {
        m_loader.error(value, "\"" + key + "\" must be a whole number");
        return std::nullopt;
    }
    if (result < minimum) {
        m_loader.error(value, "\"" + key + "\" must be at least " + std::to_string(minimum));
        return std::nullopt;
    }
    return result;
}

std::optional<Milliseconds> MapReader::duration(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined()) {
        return std::nullopt;
    }
    std::optional<Milliseconds> result;
    if (value.IsScalar()) {
        result = parse_duration(value.Scalar());
    }
    if (!result) {
        m_loader.error(value, "\"" + key + "\" must be a duration with a unit",
                       "write e.g. 500ms, 2s, 10m, 1h or 7d");
    }
    return result;
}

std::optional<std::int64_t> MapReader::bytes(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined()) {
        return std::nullopt;
    }
    std::optional<std::int64_t> result;
    if (value.IsScalar()) {
        result = parse_bytes(value.Scalar());
    }
    if (!result) {
        m_loader.error(value, "\"" + key + "\" must be a size", "write e.g. 0, 64kB, 256MB or 1GB");
    }
    return result;
}

std::optional<std::string> MapReader::query(const std::string& key) {
    auto text = string(key, false);
    if (!text) {
        return std::nullopt;
    }
    if (text->find_first_not_of(" \t\n") == std::string::npos) {
        return std::string(); // "" is the default: no query
    }
    if (auto problem = query_problem(*text)) {
        m_loader.error(get(key), "invalid query for \"" + key + "\": " + *problem,
                       "\"" + key + "\" must be one SELECT returning one boolean");
        return std::nullopt;
    }
    return text;
}

std::optional<Expression> MapReader::expression(const std::string& key, bool required) {
    auto text = string(key, required);
    if (!text) {
        return std::nullopt;
    }
    const YAML::Node node = get(key);
    SourceMark where = m_loader.mark(node);
    auto parsed = parse_expression(*text, where);
    if (auto* error = std::get_if<ParseError>(&parsed)) {
        SourceMark at = where;
        if (error->offset > 0 && text->find('\n') == std::string::npos) {
            // One-line scalar: point at the offending byte (past the quote, if quoted).
            at.column += error->offset + (node.Tag() == "!" ? 1 : 0);
        }
        m_loader.diagnostics().error(at,
                                     "invalid expression for \"" + key + "\": " + error->message,
                                     "\"" + key + "\" must be exactly one SQL expression");
        return std::nullopt;
    }
    return std::get<Expression>(parsed);
}

std::optional<TypeName> MapReader::type_name(const std::string& key, bool required) {
    auto text = string(key, required);
    if (!text) {
        return std::nullopt;
    }
    auto parsed = parse_type_name(*text, m_loader.mark(get(key)));
    if (auto* error = std::get_if<ParseError>(&parsed)) {
        m_loader.error(get(key), "invalid type for \"" + key + "\": " + error->message);
        return std::nullopt;
    }
    return std::get<TypeName>(parsed);
}

void MapReader::finish() {
    if (!m_ok) {
        return;
    }
    for (const auto& [key, nodes] : m_fields) {
        if (m_used.count(key) == 0) {
            m_loader.error(nodes.first, "unknown key \"" + key + "\" in " + m_what,
                           did_you_mean(key, m_known));
        }
    }
}

void NameClaims::claim(const std::string& key, const std::string& what) {
    auto [it, inserted] = m_created.emplace(key, m_mark);
    if (!inserted) {
        m_loader.diagnostics().error(m_mark, "duplicate name: " + what + " is created twice",
                                     "first created at " + it->second.file + ":" +
                                         std::to_string(it->second.line));
    }
}

} // namespace pgphase::planners
