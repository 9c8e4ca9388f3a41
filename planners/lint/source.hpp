// One SQL file split into statements with the real PostgreSQL parser (libpg_query): each
// statement's text, byte offset, line:column, parse tree (JSON) and the `pgphase:ignore`
// directives in the comments just before it. Pure: takes the text, reads no file.
#pragma once

#include "planners/model/diagnostic.hpp"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace pgphase::planners::lint {

struct IgnoreDirective {
    std::string rule;
    SourceMark mark;
};

struct Statement {          // NOLINT(bugprone-exception-escape): json copies may allocate
    std::string text;       // from its first token to its end, without the `;`
    std::size_t offset = 0; // byte offset of the first token in the file
    SourceMark mark;
    int end_line = 0;    // line of its last character
    nlohmann::json node; // {"AlterTableStmt": {...}}; null when it does not parse
    std::string kind;    // "AlterTableStmt"; empty when it does not parse
    std::vector<IgnoreDirective> ignores;
    std::string parse_error; // the parser's message when it does not parse
    SourceMark error_mark;   // where the parser stopped
};

// An item of the `Warnings:` header Prisma writes at the top of a migration.
struct PrismaWarning {
    std::string text;
    SourceMark mark;
};

class SourceFile {
public:
    SourceFile(std::string path, std::string text);

    const std::string& path() const { return m_path; }
    const std::string& text() const { return m_text; }
    const std::vector<Statement>& statements() const { return m_statements; }
    const std::vector<PrismaWarning>& prisma_warnings() const { return m_prisma_warnings; }

    // 1-based line and column (in characters) of a byte offset.
    SourceMark mark_at(std::size_t offset) const;

private:
    void split();
    void add_statement(std::size_t begin, std::size_t end);
    void read_prisma_warnings();

    std::string m_path;
    std::string m_text;
    std::vector<std::size_t> m_line_starts;
    std::vector<Statement> m_statements;
    std::vector<PrismaWarning> m_prisma_warnings;
};

} // namespace pgphase::planners::lint
