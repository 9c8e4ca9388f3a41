// What a check sees while a file is linted: the statement, the replayed schema, the facts
// gathered from earlier statements of the file, and a way to report. Pure.
#pragma once

#include "planners/lint/finding.hpp"
#include "planners/lint/schema.hpp"
#include "planners/lint/source.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pgphase::planners::lint {

// A column dropped or added on a table that existed before the file, for probable-rename.
struct ColumnEvent {
    TableName table;
    std::string column;
    std::optional<ColumnType> type;
    std::size_t statement = 0; // index in the file
};

struct FileFacts {
    bool prisma = false; // the file runs as one query, in one transaction
    std::size_t statement_count = 0;
    bool explicit_transaction = false;    // inside BEGIN ... COMMIT
    std::set<std::string> created_tables; // TableName::key() of tables created in this file
    std::set<std::string> created_types;  // enums created in this file
    bool lock_timeout_set = false;
    bool lock_timeout_reported = false;
    // "table key/constraint" added NOT VALID in the current transaction.
    std::set<std::string> not_valid_in_transaction;
    std::vector<ColumnEvent> dropped_columns;
    std::vector<ColumnEvent> added_columns;
    // "table key/target column/source column" for every UPDATE ... SET target = f(source):
    // a column dropped after its data was copied into the new one is not lost.
    std::set<std::string> copied_columns;
};

// What a finding may say other than its rule's defaults.
struct ReportDetails {
    std::optional<Level> level{}; // default: the rule's
    std::string effect{};         // default: the rule's
    std::string hint{};           // default: the rule's
    std::string lock{};           // default: the rule's
};

class CheckContext {
public:
    // `tree` is statement `index`'s tree() (null for end-of-file checks).
    CheckContext(const SourceFile& file, std::size_t index, const json& tree,
                 const SchemaModel& schema, FileFacts& facts, Findings& out)
        : m_file(file)
        , m_index(index)
        , m_tree(tree)
        , m_schema(schema)
        , m_facts(facts)
        , m_out(out) {}

    const Statement& statement() const { return m_file.statements()[m_index]; }
    std::size_t index() const { return m_index; }
    const json& tree() const { return m_tree; }
    const json& body() const { return m_tree.at(statement().kind); }
    const std::string& kind() const { return statement().kind; }
    const SchemaModel& schema() const { return m_schema; }
    FileFacts& facts() { return m_facts; }
    const FileFacts& facts() const { return m_facts; }

    // Inside BEGIN ... COMMIT, or in a Prisma migration of more than one statement.
    bool in_transaction() const {
        return m_facts.explicit_transaction || (m_facts.prisma && m_facts.statement_count > 1);
    }
    // Created earlier in this file: nobody reads or writes it yet, so its locks hurt no one.
    bool created_here(const TableName& table) const {
        return m_facts.created_tables.count(table.key()) != 0;
    }

    using Details = ReportDetails;
    // Reports `rule_id` at this statement (or at statement `at`, for end-of-file checks).
    void report(std::string_view rule_id, std::string message, Details details = {});
    void report_at(std::size_t at, std::string_view rule_id, std::string message,
                   Details details = {});

private:
    const SourceFile& m_file;
    std::size_t m_index;
    const json& m_tree;
    const SchemaModel& m_schema;
    FileFacts& m_facts;
    Findings& m_out;
};

// Statements longer than this many lines are shown up to it, then "...".
inline constexpr std::size_t excerpt_lines = 4;
std::string excerpt(std::string_view statement_text);

} // namespace pgphase::planners::lint
