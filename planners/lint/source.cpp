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

// The first statement's node of libpg_query's JSON output ({"version": N, "stmts": [{"stmt":
// {KIND: ...}}]}), or null when there is none (a stray `;`).
nlohmann::json first_statement(const char* parse_tree) {
    nlohmann::json tree = nlohmann::json::parse(parse_tree);
    auto& stmts = tree.at("stmts");
    if (stmts.empty() || !stmts[0].contains("stmt")) {
        return nullptr;
    }
    return std::move(stmts[0].at("stmt"));
}

// KIND of the first statement, read without building the tree: the first key three objects
// deep (the outer object, the array's item, "stmt"'s value), which is how libpg_query nests it.
std::string statement_kind(const char* parse_tree) {
    class FirstKindKey : public nlohmann::json_sax<nlohmann::json> {
    public:
        std::string kind;
        bool null() override { return true; }
        bool boolean(bool /*value*/) override { return true; }
        bool number_integer(number_integer_t /*value*/) override { return true; }
        bool number_unsigned(number_unsigned_t /*value*/) override { return true; }
        bool number_float(number_float_t /*value*/, const string_t& /*text*/) override {
            return true;
        }
        bool string(string_t& /*value*/) override { return true; }
        bool binary(binary_t& /*value*/) override { return true; }
        bool start_object(std::size_t /*elements*/) override {
            ++m_objects;
            return true;
        }
        bool end_object() override {
            --m_objects;
            return true;
        }
        bool start_array(std::size_t /*elements*/) override { return true; }
        bool end_array() override { return true; }
        bool key(string_t& value) override {
            m_in_stmt = m_objects == 2 ? value == "stmt" : m_in_stmt;
            if (m_objects == 3 && m_in_stmt) {
                kind = value;
                return false; // found: stop reading
            }
            return true;
        }
        bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                         const nlohmann::detail::exception& /*error*/) override {
            return false;
        }

    private:
        int m_objects = 0;
        bool m_in_stmt = false;
    };
    FirstKindKey reader;
    nlohmann::json::sax_parse(parse_tree, &reader);
    return reader.kind;
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

nlohmann::json Statement::tree() const {
    if (kind.empty()) {
        return nullptr;
    }
    const std::string source(text); // the parser wants it NUL-terminated
    PgQueryParseResult parsed = pg_query_parse(source.c_str());
    nlohmann::json node = parsed.error == nullptr ? first_statement(parsed.parse_tree) : nullptr;
    pg_query_free_parse_result(parsed);
    return node;
}

SourceFile::SourceFile(std::string path, std::string text, std::size_t chunk_bytes)
    : m_path(std::move(path))
    , m_text(std::move(text))
    , m_chunk_bytes(chunk_bytes) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (std::string_view(m_text).substr(0, bom.size()) == bom) {
        m_text.erase(0, bom.size());
        m_bom = true;
    }
    m_line_starts.reserve(static_cast<std::size_t>(std::count(m_text.begin(), m_text.end(), '\n')) +
                          1);
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
        const nlohmann::json tree = statement.tree();
        const nlohmann::json& body = tree.at("TransactionStmt");
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
    // libpg_query's parser-based splitter is the accurate one (`BEGIN ATOMIC ... END` bodies,
    // rules), but PostgreSQL's parser keeps every node of every statement until it returns:
    // some 14 times the text. So the file is cut into chunks of about m_chunk_bytes at the
    // statement ends its scanner-based splitter finds, and each chunk is split by the parser
    // on its own. A chunk the parser cannot split is the scanner's to split, unless the parser
    // stopped in its last statement while text follows: the cut may then be inside a
    // statement the scanner misread, and the chunk grows by the next one.
    PgQuerySplitResult scanned = pg_query_split_with_scanner(m_text.c_str());
    if (scanned.error != nullptr) {
        // Not even the scanner gets through (an unterminated quote): one statement, whose
        // parse reports where.
        pg_query_free_split_result(scanned);
        add_statement(0, m_text.size());
        return;
    }
    struct Piece {
        std::size_t begin;
        std::size_t end;
    };
    const auto pieces_of = [&](const PgQuerySplitResult& result, std::size_t base,
                               std::size_t limit) {
        std::vector<Piece> out;
        for (int i = 0; i < result.n_stmts; ++i) {
            const PgQuerySplitStmt* piece = result.stmts[i];
            const std::size_t begin =
                std::min(base + static_cast<std::size_t>(piece->stmt_location), limit);
            const std::size_t end =
                piece->stmt_len == 0
                    ? limit
                    : std::min(begin + static_cast<std::size_t>(piece->stmt_len), limit);
            out.push_back({begin, end});
        }
        return out;
    };
    const std::vector<Piece> scanner_pieces = pieces_of(scanned, 0, m_text.size());
    pg_query_free_split_result(scanned);
    m_statements.reserve(scanner_pieces.size()); // no growth to twice what it holds

    // Where chunks may end: after each piece the scanner found (at the next one's start).
    std::vector<std::size_t> cuts;
    for (std::size_t k = 1; k < scanner_pieces.size(); ++k) {
        cuts.push_back(scanner_pieces[k].begin);
    }
    cuts.push_back(m_text.size());

    // The scanner's splitter silently drops a statement that does not start with a keyword
    // (`SELEC 1;`), so text between the pieces is linted too: its parse then reports the
    // error (add_statement ignores blanks and comments).
    std::size_t covered = 0;
    const auto add_pieces = [&](const std::vector<Piece>& pieces, std::size_t until) {
        const auto add_gap = [&](std::size_t to) {
            std::size_t from = covered;
            while (from < to && (is_space(m_text[from]) || m_text[from] == ';')) {
                ++from;
            }
            if (from < to) {
                add_statement(from, to);
            }
        };
        for (const Piece& piece : pieces) {
            add_gap(piece.begin);
            add_statement(piece.begin, piece.end);
            covered = std::max(covered, piece.end);
        }
        add_gap(until);
        covered = std::max(covered, until);
    };

    std::size_t begin = 0; // of the chunk
    std::size_t first = 0; // index of the first cut after `begin`
    while (begin < m_text.size()) {
        std::size_t last = first; // the chunk ends at cuts[last]
        while (last + 1 < cuts.size() && cuts[last] - begin < m_chunk_bytes) {
            ++last;
        }
        for (;;) {
            const std::size_t end = cuts[last];
            const std::string chunk = m_text.substr(begin, end - begin);
            PgQuerySplitResult parsed = pg_query_split_with_parser(chunk.c_str());
            if (parsed.error == nullptr) {
                add_pieces(pieces_of(parsed, begin, end), end);
                pg_query_free_split_result(parsed);
                begin = end;
                first = last + 1;
                break;
            }
            const std::size_t chars = parsed.error->cursorpos > 0
                                          ? static_cast<std::size_t>(parsed.error->cursorpos - 1)
                                          : chunk.size();
            pg_query_free_split_result(parsed);
            const std::size_t stopped = begin + byte_of_char(chunk, chars);
            const bool at_end =
                std::all_of(m_text.begin() + static_cast<std::ptrdiff_t>(stopped),
                            m_text.begin() + static_cast<std::ptrdiff_t>(end), is_space);
            if (at_end && last + 1 < cuts.size()) {
                ++last; // the cut is inside a statement (BEGIN ATOMIC ... END): read on
                continue;
            }
            // A syntax error: the statements before the one holding it go back to the
            // parser; that one (or the run of text from the chunk's start to the first cut
            // after it) is the scanner's.
            std::size_t before = last;
            while (before > first && cuts[before - 1] > stopped) {
                --before;
            }
            if (before > first) {
                last = before - 1; // cuts[last] <= stopped: parse up to there
                continue;
            }
            const std::size_t until = cuts[first];
            std::vector<Piece> inside;
            for (const Piece& piece : scanner_pieces) {
                if (piece.begin >= begin && piece.begin < until) {
                    inside.push_back({piece.begin, std::min(piece.end, until)});
                }
            }
            add_pieces(inside, until);
            begin = until;
            first = first + 1;
            break;
        }
    }
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
    statement.text = std::string_view(m_text).substr(i, last - i);
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
        statement.failure =
            std::make_shared<ParseFailure>(ParseFailure{bad->message, {}, bad->mark});
        m_statements.push_back(std::move(statement));
        return;
    }
    const std::string source = m_text.substr(i, with_semicolon - i);
    PgQueryParseResult parsed = pg_query_parse(source.c_str());
    if (parsed.error != nullptr) {
        const std::size_t chars =
            parsed.error->cursorpos > 0 ? static_cast<std::size_t>(parsed.error->cursorpos - 1) : 0;
        statement.failure = std::make_shared<ParseFailure>(
            ParseFailure{parsed.error->message, {}, mark_at(i + byte_of_char(source, chars))});
    } else if (const std::size_t depth = json_depth(parsed.parse_tree); depth > max_tree_depth) {
        statement.failure = std::make_shared<ParseFailure>(ParseFailure{
            "the statement's parse tree nests " + std::to_string(depth) +
                " levels deep and pgphase reads up to " + std::to_string(max_tree_depth) +
                " (expressions nested hundreds deep): it cannot be checked or converted, though "
                "PostgreSQL may run it",
            "flatten the expression (a CTE, a function, several statements), or run this "
            "statement by hand after checking it yourself",
            statement.mark});
    } else {
        statement.kind = statement_kind(parsed.parse_tree);
    }
    pg_query_free_parse_result(parsed);
    if (statement.kind.empty() && !statement.failure) {
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
