// Runs the checks over each statement in file order, keeps the facts a file accumulates
// (transactions, tables created, lock_timeout), replays statements into the schema model and
// applies --disable. Reading files and walking folders is the only I/O. Pure otherwise.
#include "planners/lint/linter.hpp"

#include "planners/lint/rules/checks.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace pgphase::planners::lint {

namespace {

namespace fs = std::filesystem;

using Check = void (*)(CheckContext&);

// Order matters only for the order of findings within one statement.
constexpr std::array<Check, 13> checks = {
    check_lock_timeout,
    check_indexes,
    check_add_column,
    check_set_not_null,
    check_alter_column_type,
    check_renames,
    check_drops,
    check_constraints,
    check_dml,
    check_maintenance,
    check_style,
    check_probable_rename,
    check_identifiers,
};

// The facts every check relies on, updated after the checks ran on the statement.
void track(const Statement& statement, const json& tree, FileFacts& facts) {
    const json& body = tree.at(statement.kind);
    if (statement.kind == "TransactionStmt") {
        const std::string kind = string_field(body, "kind");
        if (opens_transaction(kind)) {
            facts.explicit_transaction = true;
        } else if (kind == "TRANS_STMT_COMMIT" || kind == "TRANS_STMT_ROLLBACK" ||
                   kind == "TRANS_STMT_COMMIT_PREPARED" || kind == "TRANS_STMT_PREPARE") {
            facts.explicit_transaction = false;
            facts.not_valid_in_transaction.clear();
        }
    } else if (statement.kind == "CreateStmt") {
        facts.created_tables.insert(
            table_from_range_var(body.value("relation", json::object())).key());
    } else if (statement.kind == "CreateTableAsStmt") {
        facts.created_tables.insert(
            table_from_range_var(body.value("into", json::object()).value("rel", json::object()))
                .key());
    } else if (statement.kind == "CreateEnumStmt") {
        const auto names = string_list(body.value("typeName", json::array()));
        if (!names.empty()) {
            facts.created_types.insert(names.back());
        }
    } else if (statement.kind == "RenameStmt" &&
               string_field(body, "renameType") == "OBJECT_TABLE") {
        const TableName table = table_from_range_var(body.value("relation", json::object()));
        if (facts.created_tables.erase(table.key()) != 0) {
            TableName renamed = table;
            renamed.name = string_field(body, "newname");
            facts.created_tables.insert(renamed.key());
        }
    }
}

std::string read_file(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "could not read \"" + path +
                "\": " + std::strerror(errno); // NOLINT(concurrency-mt-unsafe)
        return {};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void add_directory(const fs::path& directory, std::vector<InputFile>& out,
                   std::vector<std::string>& errors) {
    std::vector<fs::path> entries;
    std::error_code code;
    for (const auto& entry : fs::directory_iterator(directory, code)) {
        entries.push_back(entry.path());
    }
    if (code) {
        errors.push_back("could not read directory \"" + directory.string() +
                         "\": " + code.message());
        return;
    }
    std::sort(entries.begin(), entries.end());
    const std::size_t before = out.size();
    for (const fs::path& entry : entries) {
        if (fs::is_directory(entry) && fs::is_regular_file(entry / "migration.sql")) {
            out.push_back({(entry / "migration.sql").string(), true});
        } else if (fs::is_regular_file(entry) && entry.extension() == ".sql") {
            out.push_back({entry.string(), entry.filename() == "migration.sql"});
        }
    }
    if (out.size() == before) {
        if (fs::is_directory(directory / "migrations")) {
            add_directory(directory / "migrations", out, errors);
            return;
        }
        errors.push_back("directory \"" + directory.string() +
                         "\" holds no .sql file and no */migration.sql");
    }
}

} // namespace

std::size_t LintResult::count(Level level) const {
    return static_cast<std::size_t>(std::count_if(
        findings.begin(), findings.end(), [&](const Finding& f) { return f.level == level; }));
}

bool LintResult::has_syntax_errors() const {
    return std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
        return f.rule == "syntax-error" || f.rule == "invalid-encoding";
    });
}

std::vector<InputFile> collect_inputs(const std::vector<std::string>& paths,
                                      std::vector<std::string>& errors) {
    std::vector<InputFile> out;
    for (const std::string& path : paths) {
        std::error_code code;
        const fs::file_status status = fs::status(path, code);
        if (code || !fs::exists(status)) {
            errors.push_back("could not read \"" + path + "\": no such file or directory");
        } else if (fs::is_directory(status)) {
            add_directory(path, out, errors);
        } else {
            out.push_back({path, fs::path(path).filename() == "migration.sql"});
        }
    }
    return out;
}

Linter::Linter(LintOptions options, const planners::Catalog& catalog)
    : m_options(std::move(options)) {
    m_seed.seed(catalog);
    m_schema = m_seed;
}

void Linter::lint(const SourceFile& file, bool prisma_file) {
    if (!m_options.replay) {
        m_schema = m_seed;
    }
    ++m_result.files;
    FileFacts facts;
    facts.prisma = m_options.prisma || prisma_file;
    facts.statement_count = file.statements().size();
    Findings found;

    for (const TextError& error : file.text_errors()) {
        const RuleInfo& info = rule("invalid-encoding");
        found.push_back({std::string(info.id), info.level, error.mark, 0, error.message, "",
                         std::string(info.lock), std::string(info.effect), error.hint});
    }
    for (const PrismaWarning& warning : file.prisma_warnings()) {
        const RuleInfo& info = rule("prisma-warning");
        found.push_back({std::string(info.id), info.level, warning.mark, 0,
                         "Prisma warns: " + warning.text, "", "", "", std::string(info.hint)});
    }
    for (std::size_t i = 0; i < file.statements().size(); ++i) {
        const Statement& statement = file.statements()[i];
        ++m_result.statements;
        for (const IgnoreDirective& directive : statement.ignores) {
            if (find_rule(directive.rule) == nullptr) {
                const RuleInfo& info = rule("unknown-rule");
                found.push_back({std::string(info.id), info.level, directive.mark, 0,
                                 "pgphase:ignore names unknown rule \"" + directive.rule + "\"", "",
                                 "", "", std::string(info.hint)});
            }
        }
        if (statement.invalid_bytes) {
            continue; // reported from text_errors() above; nothing to parse
        }
        if (statement.failure) {
            const bool ignored = std::any_of(
                statement.ignores.begin(), statement.ignores.end(),
                [](const IgnoreDirective& directive) { return directive.rule == "syntax-error"; });
            if (!ignored) {
                const RuleInfo& info = rule("syntax-error");
                const ParseFailure& failure = *statement.failure;
                const bool unread = !failure.hint.empty();
                found.push_back({std::string(info.id), info.level, failure.mark, 0, failure.message,
                                 excerpt(statement.text), std::string(info.lock),
                                 unread ? "not checked" : std::string(info.effect),
                                 unread ? failure.hint : std::string(info.hint)});
            }
            continue;
        }
        if (statement.rolled_back) {
            // Neither linted nor replayed: it never takes effect.
            const RuleInfo& info = rule("rolled-back");
            found.push_back({std::string(info.id), info.level, statement.mark, 0,
                             "rolled back by the ROLLBACK at line " +
                                 std::to_string(statement.rolled_back_line) +
                                 ", so it never takes effect; not linted",
                             excerpt(statement.text), std::string(info.lock),
                             std::string(info.effect), std::string(info.hint)});
            continue;
        }
        const json tree = statement.tree(); // this statement's only parse: passed on
        CheckContext context(file, i, tree, m_schema, facts, found);
        for (Check check : checks) {
            check(context);
        }
        track(statement, tree, facts);
        m_schema.apply(statement, tree);
    }
    if (!file.statements().empty()) {
        const json none;
        CheckContext end(file, 0, none, m_schema, facts, found);
        finish_probable_rename(end);
    }

    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const Finding& f) { return m_options.disabled.count(f.rule); }),
                found.end());
    const auto before = [](const Finding& a, const Finding& b) {
        return a.mark.line != b.mark.line ? a.mark.line < b.mark.line
                                          : a.mark.column < b.mark.column;
    };
    if (!std::is_sorted(found.begin(), found.end(), before)) { // stable_sort takes a buffer
        std::stable_sort(found.begin(), found.end(), before);
    }
    if (m_result.findings.empty()) {
        m_result.findings = std::move(found); // no second vector of a big file's findings
    } else {
        m_result.findings.insert(m_result.findings.end(), std::make_move_iterator(found.begin()),
                                 std::make_move_iterator(found.end()));
    }
}

LintResult lint_paths(const std::vector<std::string>& paths, const LintOptions& options,
                      const planners::Catalog* catalog) {
    std::vector<std::string> errors;
    const std::vector<InputFile> inputs = collect_inputs(paths, errors);
    Linter linter = catalog == nullptr ? Linter(options) : Linter(options, *catalog);
    for (const InputFile& input : inputs) {
        std::string error;
        std::string text = read_file(input.path, error);
        if (!error.empty()) {
            errors.push_back(error);
            continue;
        }
        try {
            linter.lint(SourceFile(input.path, std::move(text)), input.prisma);
        } catch (const std::exception& e) {
            // A defect of lint itself must not hide the other files' findings.
            errors.push_back("internal error while linting \"" + input.path + "\": " + e.what());
        }
    }
    LintResult result = std::move(linter.result());
    result.input_errors = std::move(errors);
    return result;
}

} // namespace pgphase::planners::lint
