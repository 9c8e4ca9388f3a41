// The converter's insides, shared by its files: converter.cpp drives it (what becomes what,
// conflicts between statements, the YAML written out), statement_parts.cpp reads the parts of
// a parse tree (names, expressions, types, columns, references), mappings.cpp maps each kind
// of statement to its operation. Not for use outside planners/convert. Pure.
#pragma once

#include "planners/convert/converter.hpp"
#include "planners/lint/schema.hpp"
#include "planners/lint/source.hpp"
#include "planners/lint/sql_tree.hpp"

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace pgphase::planners::convert::internal {

using lint::Statement;
using lint::string_field;
using lint::string_list;
using nlohmann::json;

// One change of the plan, before it is written out.
// An UPDATE that sets one column where it IS NULL: Prisma's recipe before SET NOT NULL.
struct NullFill {
    std::string table;
    std::string column;
    std::string expression; // canonical SQL
    int line = 0;
};

struct Change {
    std::vector<std::string> comments;
    std::string operation;
    std::vector<std::string> fields; // "key: value", at the operation's body indentation
    // Behind a pointer: few changes have one, and a change of a big plan stays small.
    std::shared_ptr<const NullFill> fills_nulls{};
};

inline constexpr int body_indent = 6; // spaces before an operation's fields

// Why a statement could not become an operation; it then runs as written.
struct Refusal {
    std::string why;
};

// Every schema name a parse tree mentions, in order.
void find_schemas(const json& node, std::vector<std::string>& out);

// pg_constraint's action letter ("r", "c", "n", "d", "a") as the plan's word.
std::string on_delete_word(const std::string& action);

// `{a: 1, b: 2}` from key/value pairs written as YAML already.
std::string flow_map(const std::vector<std::pair<std::string, std::string>>& entries);

const std::set<std::string>& serial_types();

// The integer type under a serial type: bigserial -> bigint.
std::string serial_base(const std::string& name);

class Converter {
public:
    // `forced`: statement index -> why it runs as written, decided by an earlier run.
    Converter(const lint::SourceFile& file, const lint::SchemaModel* before, ConvertResult& result,
              std::map<std::size_t, std::string> forced = {})
        : m_file(file)
        , m_before(before)
        , m_result(result)
        , m_forced(std::move(forced)) {}

    // Maps every statement to its changes; render() then writes them.
    void run();

    // After run(): the statements to keep as SQL in a second run, because a table rename is
    // followed by a statement on the new name that stays SQL. The planner runs later changes
    // on a renamed table against its old name until contract, which raw SQL cannot follow, so
    // the rename and every later statement on the table run as written. Empty when none.
    std::map<std::size_t, std::string> renames_to_keep_as_sql() const;

    // Writes the plan's YAML to `out` piece by piece, letting each change go once written.
    void render(std::ostream& out);

private:
    // The plan's schema, the types an enum dance renames, and probable renames.
    void prescan();

    // Every table a statement names (relation, referenced table, dropped or renamed table).
    static void relation_names(const json& node, std::set<std::string>& out);
    // The table a CreateStmt's tree creates.
    static std::string created_table(const json& tree);

    void force(const std::vector<std::size_t>& indexes, const std::string& why);

    // Statements that map one by one but not together, as pgphase allows one change per
    // object per plan and drops only at contract: all of them stay SQL, in order.
    void find_conflicts();

    // BEGIN ... COMMIT blocks whose statements rely on running together (see the .cpp):
    // each becomes one `sql` change.
    void find_transaction_groups();
    void convert(std::size_t index, const Statement& statement);
    void keep_group_as_sql(const std::vector<std::size_t>& indexes, const std::string& why);

    void keep_as_sql(const Statement& statement, const json& tree, const std::string& why);

    std::vector<Change> map_statement(const Statement& statement, const json& tree);

    static std::string no_rewrite_reason(const std::string& kind);

    // --- names --------------------------------------------------------------------------

    std::string table_of(const json& range_var) const;

    // The object name of a DROP/RENAME list (`[schema,] name`), in the plan's schema.
    std::string object_name(const json& list) const;

    void refuse_if_created_here(const std::string& table) const;

    // --- expressions and types ----------------------------------------------------------

    std::string expression(const Statement& statement, const json& node) const;

    std::string type(const Statement& statement, const json& type_name) const;

    static std::string type_last_name(const json& type_name);

    // --- columns ------------------------------------------------------------------------

    struct Column {
        std::vector<std::pair<std::string, std::string>> entries; // flow mapping fields
        bool not_null = false;
        bool has_default = false;
        bool primary_key = false;
        std::string type;
    };

    // A ColumnDef as add_column / create_table column fields. `in_create` allows primary
    // keys, identity and serial (as identity).
    Column column(const Statement& statement, const json& def, const std::string& table,
                  bool in_create) const;

    // `{table, column?, on_delete?}` of a column-level foreign key; refuses what the
    // operation cannot say (ON UPDATE, MATCH FULL, several columns).
    std::string references(const json& constraint) const;

    // --- statements ---------------------------------------------------------------------

    Change create_table(const Statement& statement, const json& body);

    std::string references_of_table_key(const json& constraint) const;

    Change create_index(const Statement& statement, const json& body);

    std::vector<Change> drop(const json& body);

    Change rename(const Statement& statement, const json& body);

    std::vector<Change> alter_table(const Statement& statement, const json& body);

    // Within one ALTER TABLE: a column's set_default before its set_not_null.
    static void default_before_not_null(std::vector<Change>& changes);
    // A backfill of a column's NULLs followed by its set_not_null becomes that set_not_null's
    // `up` (its trigger, backfill and late check), and the backfill change goes.
    void fold_null_fills();
    std::optional<Change> alter_command(const Statement& statement, const std::string& table,
                                        const json& cmd);

    Change add_column(const Statement& statement, const std::string& table, const json& def);

    Change add_constraint(const Statement& statement, const std::string& table,
                          const json& constraint);

    Change backfill(const Statement& statement, const json& body);

    static std::string one_line(const std::string& text);

    const lint::SourceFile& m_file;
    const lint::SchemaModel* m_before; // column types from earlier migrations; may be null
    ConvertResult& m_result;
    std::string m_schema = "public";
    std::set<std::string> m_created;
    std::set<std::string> m_dance_types;
    std::map<std::string, std::string> m_renames;   // "table/new" -> old
    std::set<std::string> m_renamed_away;           // "table/old"
    std::map<std::string, std::string> m_same_type; // "table/new" -> the type both have
    std::deque<Change> m_changes;     // a deque: a big file's changes are never held twice
    std::vector<std::string> m_notes; // file-level remarks, at the top
    std::map<std::size_t, std::string> m_forced; // statement index -> why it stays SQL
    std::set<std::size_t> m_as_sql;              // statement indexes that ended as SQL
    struct TableRename {
        std::size_t at = 0; // the rename's statement index
        std::string from;
        std::string to;
        std::vector<std::size_t> later; // later statements naming `to`
    };
    std::vector<TableRename> m_table_renames;
    std::set<std::string> m_sql_created; // tables only SQL changes know
    struct Group {
        std::vector<std::size_t> indexes; // its statements, transaction statements left out
        std::string why;
    };
    std::map<std::size_t, Group> m_groups; // first statement index -> its group
    std::set<std::size_t> m_grouped;       // every statement index in a group
};

} // namespace pgphase::planners::convert::internal
