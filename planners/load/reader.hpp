// The generic machinery every operation's YAML reader uses: a Loader (file, diagnostics,
// source marks) and a MapReader that remembers which keys were read, so leftovers are reported
// as unknown keys with a "did you mean" hint. Pure.
#pragma once

#include "planners/model/diagnostic.hpp"
#include "planners/model/plan.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace pgphase::planners {

// "did you mean "x"?" for a near miss, else every choice: "expected one of: a, b".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& choices);

class Loader {
public:
    Loader(std::string file, Diagnostics& diagnostics)
        : m_file(std::move(file))
        , m_diagnostics(diagnostics) {}

    SourceMark mark(const YAML::Node& node) const {
        const YAML::Mark m = node.Mark();
        if (m.is_null()) {
            return {m_file, 0, 0};
        }
        return {m_file, m.line + 1, m.column + 1};
    }

    void error(const YAML::Node& node, std::string message, std::string hint = {}) {
        m_diagnostics.error(mark(node), std::move(message), std::move(hint));
    }

    const std::string& file() const { return m_file; }

    // `text` as one YAML document that is a mapping, or nullopt after reporting "invalid YAML"
    // at the position yaml-cpp gives, or `not_a_map` (with `hint`) at 1:1.
    std::optional<YAML::Node> parse_mapping(const std::string& text, const std::string& not_a_map,
                                            const std::string& hint = {});
    Diagnostics& diagnostics() { return m_diagnostics; }
    // The plan's text, for locating positions inside block scalars (sql's up and down).
    void set_text(const std::string* text) {
        m_text = text;
        m_line_starts.clear();
    }
    // Line `line` (1-based) of the plan's text without its newline; empty past the end or
    // when no text was set. The line offsets are found once, whatever the number of calls.
    std::string_view line(int line);
    int line_count();

private:
    std::string m_file;
    Diagnostics& m_diagnostics;
    const std::string* m_text = nullptr;
    std::vector<std::size_t> m_line_starts; // of m_text, found on first use
};

// Reads the fields of one YAML mapping; reports missing, mistyped, duplicate and unknown keys.
class MapReader {
public:
    MapReader(Loader& loader, const YAML::Node& node, std::string what,
              std::vector<std::string> known);

    bool ok() const { return m_ok; }

    // The value node for `key`, or an undefined node. Marks the key as consumed.
    YAML::Node get(const std::string& key);
    YAML::Node require(const std::string& key);
    std::optional<std::string> string(const std::string& key, bool required);
    std::optional<std::string> identifier(const std::string& key, bool required);
    std::optional<bool> boolean(const std::string& key);
    std::optional<std::int64_t> integer(const std::string& key, std::int64_t minimum);
    std::optional<Milliseconds> duration(const std::string& key);
    std::optional<std::int64_t> bytes(const std::string& key);
    std::optional<std::string> query(const std::string& key);
    std::optional<Expression> expression(const std::string& key, bool required);
    std::optional<TypeName> type_name(const std::string& key, bool required);

    // Reports keys nobody asked for. Call after reading every field.
    void finish();

private:
    Loader& m_loader;
    YAML::Node m_node;
    std::string m_what;
    std::vector<std::string> m_known;
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> m_fields;
    std::set<std::string> m_used;
    bool m_ok = true;
};

// Names a plan creates (indexes, tables, columns), claimed by each change's operation so that a
// name created twice is reported at its second creation.
class NameClaims {
public:
    explicit NameClaims(Loader& loader)
        : m_loader(loader) {}

    // The change whose claims follow.
    void at(const SourceMark& mark) { m_mark = mark; }
    // `key` identifies the name ("relation:users"), `what` says it in a message.
    void claim(const std::string& key, const std::string& what);

private:
    Loader& m_loader;
    SourceMark m_mark;
    std::map<std::string, SourceMark> m_created;
};

enum class RelationKind { index, table };

// The claim of a change that creates one relation, named by Op's member Name.
template <typename Op, std::string Op::*Name, RelationKind Kind>
void claim_relation(const Op& op, NameClaims& claims) {
    const std::string& name = op.*Name;
    const char* kind = Kind == RelationKind::index ? "index" : "table";
    claims.claim("relation:" + name, std::string(kind) + " \"" + name + "\"");
}

} // namespace pgphase::planners
