// One SQL file split into statements with the real PostgreSQL parser (libpg_query): each
// statement's text, byte offset, line:column, parse tree (JSON) and the `pgphase:ignore`
// directives in the comments just before it. Pure: takes the text, reads no file.
#pragma once

#include "planners/model/diagnostic.hpp"

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pgphase::planners::lint {

struct IgnoreDirective {
    std::string rule;
    SourceMark mark;
};

// Why a statement does not parse.
struct ParseFailure {
    std::string message; // the parser's, or why pgphase cannot read it
    // Set when PostgreSQL parses it but pgphase cannot read it (too deep): what to do instead
    // of fixing a syntax error.
    std::string hint;
    SourceMark mark; // where the parser stopped
};

struct Statement { // NOLINT(bugprone-exception-escape): json copies may allocate
    // From its first token to its end, without the `;`: a view of its SourceFile's text, valid
    // as long as the SourceFile (a file of forty thousand statements holds its text once).
    std::string_view text;
    std::size_t offset = 0; // byte offset of the first token in the file
    SourceMark mark;
    int end_line = 0; // line of its last character
    Interned kind;    // "AlterTableStmt"; empty when it does not parse
    std::vector<IgnoreDirective> ignores;
    // Why it does not parse; null when it does. Kept apart: few statements fail, and a file of
    // forty thousand statements would otherwise carry forty thousand empty messages and marks.
    std::shared_ptr<const ParseFailure> failure;
    // It holds bytes PostgreSQL rejects (invalid UTF-8, NUL): not parsed; the file's
    // text_errors() say where.
    bool invalid_bytes = false;
    // A later ROLLBACK (or ROLLBACK TO SAVEPOINT) undoes it: it never takes effect.
    // Transaction statements themselves are never marked.
    bool rolled_back = false;
    int rolled_back_line = 0; // line of that ROLLBACK

    // The parse tree, {"AlterTableStmt": {...}}; null when it does not parse. Parsed from
    // `text` again on every call, and kept by no one but the caller: a parse tree takes some
    // 50 times the memory of its text, so a file that kept every tree would not fit in memory
    // in proportion to its size. Call it once per statement and pass the tree on.
    nlohmann::json tree() const;
};

// A run of bytes PostgreSQL cannot read as UTF-8 text, or a NUL byte.
struct TextError {
    std::size_t offset = 0;
    SourceMark mark;
    std::string message;
    std::string hint;
};

// An item of the `Warnings:` header Prisma writes at the top of a migration.
struct PrismaWarning {
    std::string text;
    SourceMark mark;
};

class SourceFile {
public:
    // The parser splits the file in chunks of about this many bytes (see split()).
    static constexpr std::size_t default_chunk_bytes = std::size_t{256} * 1024;

    // `chunk_bytes` other than the default serves tests of the chunk boundaries.
    SourceFile(std::string path, std::string text, std::size_t chunk_bytes = default_chunk_bytes);
    // Its statements view its text: neither copied nor moved.
    SourceFile(const SourceFile&) = delete;
    SourceFile& operator=(const SourceFile&) = delete;
    SourceFile(SourceFile&&) = delete;
    SourceFile& operator=(SourceFile&&) = delete;
    ~SourceFile() = default;

    const std::string& path() const { return m_path; }
    const std::string& text() const { return m_text; }
    const std::vector<Statement>& statements() const { return m_statements; }
    const std::vector<PrismaWarning>& prisma_warnings() const { return m_prisma_warnings; }
    // Invalid UTF-8 and NUL bytes, in file order. In text() each such byte reads `?`, so a
    // statement's text and excerpt stay valid UTF-8; the statements holding one are not
    // parsed (Statement::invalid_bytes).
    const std::vector<TextError>& text_errors() const { return m_text_errors; }
    // The file started with a UTF-8 byte-order mark, which is skipped as psql skips it:
    // text() and every position are those of the text after it.
    bool had_byte_order_mark() const { return m_bom; }

    // 1-based line and column (in characters) of a byte offset.
    SourceMark mark_at(std::size_t offset) const;

private:
    void split();
    void add_statement(std::size_t begin, std::size_t end);
    void read_prisma_warnings();
    void check_bytes();
    void mark_rolled_back();

    std::string m_path;
    std::string m_text;
    std::vector<std::size_t> m_line_starts;
    std::vector<Statement> m_statements;
    std::vector<PrismaWarning> m_prisma_warnings;
    std::vector<TextError> m_text_errors;
    std::size_t m_chunk_bytes;
    bool m_bom = false;
};

} // namespace pgphase::planners::lint
