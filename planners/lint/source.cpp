// Splits a file with libpg_query's parser-based splitter (its scanner-based one when the file
// does not parse, so one bad statement does not hide the others), then parses each statement
// on its own so a syntax error is located and the rest are still linted. Pure.
#include "planners/lint/source.hpp"

#include "planners/lint/sql_tree.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <iterator>
#include <pg_query.h>
#include <string_view>
#include <utility>

namespace pgphase::planners::lint {

namespace {

// Parse trees deeper than this are not read: copying and walking them recurses once per level,
// and a few thousand levels overflow the stack (in the sanitizer build first). About 500
// nested operators; real migrations stay far below.
constexpr std::size_t max_tree_depth = 1000;

// How deep a JSON text nests, counted on the text without building it.
std::size_t json_depth(std::string_view json) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Byte offset of the `chars`-th character (0-based) of `text`, counting UTF-8 code points.
std::size_t byte_of_char(std::string_view text, std::size_t chars) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if ((byte & 0xC0U) == 0x80U) {
            continue; // continuation byte
        }
        if (seen == chars) {
            return i;
        }
        ++seen;
    }
    return text.size();
}

void read_ignores(std::string_view comment, std::size_t comment_offset, const SourceFile& file,
                  std::vector<IgnoreDirective>& out) {
    constexpr std::string_view marker = "pgphase:ignore";
    std::size_t at = comment.find(marker);
    while (at != std::string_view::npos) {
        std::size_t i = at + marker.size();
        while (i < comment.size() && comment[i] != '\n') {
            while (i < comment.size() &&
                   (comment[i] == ' ' || comment[i] == '\t' || comment[i] == ',')) {
                ++i;
            }
            const std::size_t start = i;
            while (i < comment.size() &&
                   (std::isalnum(static_cast<unsigned char>(comment[i])) != 0 ||
                    comment[i] == '-' || comment[i] == '_')) {
                ++i;
            }
            if (i == start) {
                break; // end of the list: `*/`, other text
            }
            out.push_back({std::string(comment.substr(start, i - start)),
                           file.mark_at(comment_offset + start)});
        }
        at = comment.find(marker, i);
    }
}

// Length of the valid UTF-8 character at `text[i]`, 0 when the bytes there are not one
// (overlong forms, surrogates and code points past U+10FFFF included, as PostgreSQL's
// pg_utf8_islegal rejects them).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) {
        return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0U;
    };
    const unsigned lead = at(0);
    const auto cont = [&](std::size_t k, unsigned low = 0x80U, unsigned high = 0xBFU) {
        return at(k) >= low && at(k) <= high;
    };
    if (lead < 0x80U) {
        return 1;
    }
    if (lead >= 0xC2U && lead <= 0xDFU) {
        return cont(1) ? 1 + 1 : 0;
    }
    if (lead >= 0xE0U && lead <= 0xEFU) {
        const unsigned low = lead == 0xE0U ? 0xA0U : 0x80U;
        const unsigned high = lead == 0xEDU ? 0x9FU : 0xBFU;
        return cont(1, low, high) && cont(2) ? 3 : 0;
    }
    if (lead >= 0xF0U && lead <= 0xF4U) {
        const unsigned low = lead == 0xF0U ? 0x90U : 0x80U;
        const unsigned high = lead == 0xF4U ? 0x8FU : 0xBFU;
        return cont(1, low, high) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

std::string hex_bytes(std::string_view bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (!out.empty()) {
            out += ' ';
        }
        out += "0x";
        out += digits[byte >> 4U];
        out += digits[byte & 0x0FU];
    }
    return out;
}

} // namespace

SourceFile::SourceFile(std::string path, std::string text)
    : m_path(std::move(path))
    , m_text(std::move(text)) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (std::string_view(m_text).substr(0, bom.size()) == bom) {
        m_text.erase(0, bom.size());
        m_bom = true;
    }
    m_line_starts.push_back(0);
    for (std::size_t i = 0; i < m_text.size(); ++i) {
        if (m_text[i] == '\n') {
            m_line_starts.push_back(i + 1);
        }
    }
    check_bytes();
    split();
    mark_rolled_back();
    read_prisma_warnings();
}

void SourceFile::mark_rolled_back() {
    // As PostgreSQL runs the file statement by statement (psql): BEGIN opens a block (a
    // second BEGIN inside one only warns), COMMIT/END closes it, ROLLBACK/ABORT undoes it,
    // SAVEPOINT s marks a point that ROLLBACK TO s returns to (s stays) and RELEASE s drops
    // (with the savepoints after it). A block the file leaves open is taken as committed.
    bool open = false;
    std::size_t block_start = 0;
    std::vector<std::pair<std::string, std::size_t>> savepoints;
    const auto undo = [&](std::size_t from, std::size_t to) {
        for (std::size_t k = from; k < to; ++k) {
            Statement& undone = m_statements[k];
            if (undone.kind != "TransactionStmt" && !undone.rolled_back) {
                undone.rolled_back = true;
                undone.rolled_back_line = m_statements[to].mark.line;
            }
        }
    };
    const auto find_savepoint = [&](const std::string& name) {
        auto it = savepoints.rbegin();
        while (it != savepoints.rend() && it->first != name) {
            ++it;
        }
        return it;
    };
    for (std::size_t i = 0; i < m_statements.size(); ++i) {
        const Statement& statement = m_statements[i];
        if (statement.kind != "TransactionStmt") {
            continue;
        }
        const nlohmann::json& body = statement.node.at("TransactionStmt");
        const std::string kind = body.value("kind", std::string());
        const std::string savepoint = body.value("savepoint_name", std::string());
        if (opens_transaction(kind)) {
            if (!open) {
                open = true;
                block_start = i;
                savepoints.clear();
            }
        } else if (kind == "TRANS_STMT_COMMIT" || kind == "TRANS_STMT_PREPARE") {
            open = body.value("chain", false); // AND CHAIN opens the next block at once
            block_start = i;
            savepoints.clear();
        } else if (kind == "TRANS_STMT_ROLLBACK") {
            if (open) {
                undo(block_start, i);
            }
            open = body.value("chain", false);
            block_start = i;
            savepoints.clear();
        } else if (open && kind == "TRANS_STMT_SAVEPOINT") {
            savepoints.emplace_back(savepoint, i);
        } else if (open && kind == "TRANS_STMT_RELEASE") {
            const auto it = find_savepoint(savepoint);
            if (it != savepoints.rend()) {
                savepoints.erase(std::prev(it.base()), savepoints.end());
            }
        } else if (open && kind == "TRANS_STMT_ROLLBACK_TO") {
            const auto it = find_savepoint(savepoint);
            if (it != savepoints.rend()) {
                undo(it->second + 1, i);
                savepoints.erase(it.base(), savepoints.end());
            }
        }
    }
}

void SourceFile::check_bytes() {
    // PostgreSQL rejects a query string that is not valid UTF-8, and psql cuts a line at a
    // NUL. Both would otherwise reach libpg_query, whose JSON output nlohmann::json refuses
    // (invalid UTF-8) or which stops reading at the NUL, silently hiding what follows.
    std::size_t i = 0;
    while (i < m_text.size()) {
        if (m_text[i] == '\0') {
            m_text_errors.push_back({i, mark_at(i), "NUL byte (0x00) in the file",
                                     "remove it; psql drops the rest of its line and "
                                     "PostgreSQL accepts no NUL in a query"});
            m_text[i] = '?';
            ++i;
            continue;
        }
        const std::size_t length = utf8_length(m_text, i);
        if (length != 0) {
            i += length;
            continue;
        }
        std::size_t end = i + 1;
        while (end < m_text.size() && m_text[end] != '\0' && utf8_length(m_text, end) == 0) {
            ++end;
        }
        const std::string shown = m_text.substr(i, std::min<std::size_t>(end - i, 4));
        m_text_errors.push_back({i, mark_at(i),
                                 "invalid UTF-8 byte sequence " + hex_bytes(shown) +
                                     (end - i > 4 ? " ..." : "") +
                                     "; PostgreSQL rejects the statement",
                                 "save the file as UTF-8 (it may be Latin-1 or another encoding)"});
        std::fill(m_text.begin() + static_cast<std::ptrdiff_t>(i),
                  m_text.begin() + static_cast<std::ptrdiff_t>(end), '?');
        i = end;
    }
}

SourceMark SourceFile::mark_at(std::size_t offset) const {
    offset = std::min(offset, m_text.size());
    const auto next = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), offset);
    const std::size_t line_start = *(next - 1);
    int column = 1;
    for (std::size_t i = line_start; i < offset; ++i) {
        if ((static_cast<unsigned char>(m_text[i]) & 0xC0U) != 0x80U) {
            ++column;
        }
    }
    return {m_path, static_cast<int>(next - m_line_starts.begin()), column};
}

void SourceFile::split() {
    PgQuerySplitResult result = pg_query_split_with_parser(m_text.c_str());
    if (result.error != nullptr) {
        pg_query_free_split_result(result);
        result = pg_query_split_with_scanner(m_text.c_str());
    }
    if (result.error != nullptr) {
        // Not even the scanner gets through (an unterminated quote): one statement, whose
        // parse reports where.
        add_statement(0, m_text.size());
    } else {
        // The scanner's splitter silently drops a statement that does not start with a
        // keyword (`SELEC 1;`), so text between the pieces it returns is linted too: its
        // parse then reports the error (add_statement ignores blanks and comments).
        std::size_t covered = 0;
        auto add_gap = [&](std::size_t until) {
            std::size_t from = covered;
            while (from < until && (is_space(m_text[from]) || m_text[from] == ';')) {
                ++from;
            }
            if (from < until) {
                add_statement(from, until);
            }
        };
        for (int i = 0; i < result.n_stmts; ++i) {
            const PgQuerySplitStmt* piece = result.stmts[i];
            const auto begin =
                std::min(static_cast<std::size_t>(piece->stmt_location), m_text.size());
            const std::size_t end = piece->stmt_len == 0
                                        ? m_text.size()
                                        : begin + static_cast<std::size_t>(piece->stmt_len);
            add_gap(begin);
            add_statement(begin, std::min(end, m_text.size()));
            covered = std::max(covered, std::min(end, m_text.size()));
        }
        add_gap(m_text.size());
    }
    pg_query_free_split_result(result);
}

void SourceFile::add_statement(std::size_t begin, std::size_t end) {
    // Skip blanks and comments up to the first token, reading ignore directives on the way.
    std::vector<IgnoreDirective> ignores;
    std::size_t i = begin;
    while (i < end) {
        if (is_space(m_text[i])) {
            ++i;
        } else if (m_text.compare(i, 2, "--") == 0) {
            const std::size_t eol = std::min(m_text.find('\n', i), end);
            read_ignores(std::string_view(m_text).substr(i, eol - i), i, *this, ignores);
            i = eol;
        } else if (m_text.compare(i, 2, "/*") == 0) {
            int depth = 0; // PostgreSQL block comments nest
            std::size_t j = i;
            while (j < end) {
                if (m_text.compare(j, 2, "/*") == 0) {
                    ++depth;
                    j += 2;
                } else if (m_text.compare(j, 2, "*/") == 0) {
                    j += 2;
                    if (--depth == 0) {
                        break;
                    }
                } else {
                    ++j;
                }
            }
            read_ignores(std::string_view(m_text).substr(i, j - i), i, *this, ignores);
            i = j;
        } else {
            break;
        }
    }
    std::size_t last = end;
    while (last > i && (is_space(m_text[last - 1]) || m_text[last - 1] == ';')) {
        --last;
    }
    if (i >= last) {
        return; // only comments
    }
    Statement statement;
    statement.text = m_text.substr(i, last - i);
    statement.offset = i;
    statement.mark = mark_at(i);
    statement.end_line = mark_at(last - 1).line;
    statement.ignores = std::move(ignores);

    // Parsed with its `;`, so an error reads as PostgreSQL would report running the file.
    const std::size_t with_semicolon = end < m_text.size() && m_text[end] == ';' ? end + 1 : end;
    const auto bad =
        std::find_if(m_text_errors.begin(), m_text_errors.end(), [&](const TextError& e) {
            return e.offset >= begin && e.offset < with_semicolon;
        });
    if (bad != m_text_errors.end()) {
        statement.invalid_bytes = true;
        statement.parse_error = bad->message;
        statement.error_mark = bad->mark;
        m_statements.push_back(std::move(statement));
        return;
    }
    const std::string source = m_text.substr(i, with_semicolon - i);
    PgQueryParseResult parsed = pg_query_parse(source.c_str());
    if (parsed.error != nullptr) {
        statement.parse_error = parsed.error->message;
        const std::size_t chars =
            parsed.error->cursorpos > 0 ? static_cast<std::size_t>(parsed.error->cursorpos - 1) : 0;
        statement.error_mark = mark_at(i + byte_of_char(source, chars));
    } else if (const std::size_t depth = json_depth(parsed.parse_tree); depth > max_tree_depth) {
        statement.parse_error = "the statement's parse tree nests " + std::to_string(depth) +
                                " levels deep and pgphase reads up to " +
                                std::to_string(max_tree_depth) +
                                " (expressions nested hundreds deep): it cannot be checked or "
                                "converted, though PostgreSQL may run it";
        statement.parse_hint = "flatten the expression (a CTE, a function, several statements), "
                               "or run this statement by hand after checking it yourself";
        statement.error_mark = statement.mark;
    } else {
        nlohmann::json tree = nlohmann::json::parse(parsed.parse_tree);
        auto& stmts = tree.at("stmts");
        if (!stmts.empty() && stmts[0].contains("stmt")) {
            statement.node = std::move(stmts[0].at("stmt"));
            statement.kind = statement.node.begin().key();
        }
    }
    pg_query_free_parse_result(parsed);
    if (statement.kind.empty() && statement.parse_error.empty()) {
        return; // nothing but a stray `;`
    }
    m_statements.push_back(std::move(statement));
}

void SourceFile::read_prisma_warnings() {
    // Prisma writes the header before the first statement: `/* Warnings: - ... */` (or as
    // `--` comments). Only that region is read, so a string literal cannot fake one.
    const std::size_t region_end =
        m_statements.empty() ? m_text.size() : m_statements.front().offset;
    const std::string_view region = std::string_view(m_text).substr(0, region_end);
    const std::size_t header = region.find("Warnings:");
    if (header == std::string_view::npos) {
        return;
    }
    std::size_t line_start = region.find('\n', header);
    while (line_start != std::string_view::npos && line_start < region.size()) {
        ++line_start;
        const std::size_t line_end = std::min(region.find('\n', line_start), region.size());
        std::size_t i = line_start;
        while (i < line_end && (is_space(region[i]) || region[i] == '-')) {
            if (region[i] == '-' && !(i + 1 < line_end && region[i + 1] == '-')) {
                break; // a bullet, not a `--` comment marker
            }
            i += region[i] == '-' ? std::size_t{2} : std::size_t{1};
        }
        const std::string_view line = region.substr(i, line_end - i);
        if (line.rfind("*/", 0) == 0 || (line.empty() && !m_prisma_warnings.empty())) {
            break; // the end of the comment, or the blank line after the items
        }
        if (line.rfind("- ", 0) == 0) {
            std::string item(line.substr(2));
            while (!item.empty() && is_space(item.back())) {
                item.pop_back();
            }
            m_prisma_warnings.push_back({std::move(item), mark_at(i)});
        } else if (!line.empty() && !m_prisma_warnings.empty()) {
            m_prisma_warnings.back().text += " ";
            m_prisma_warnings.back().text += line;
        }
        line_start = line_end < region.size() ? line_end : std::string_view::npos;
    }
}

} // namespace pgphase::planners::lint
