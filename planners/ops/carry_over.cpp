// Rebuilds a column's indexes and constraints on its replacement before contract: indexes
// CONCURRENTLY once the data is copied, CHECK and foreign keys NOT VALID then VALIDATE, and at
// contract only renames (and UNIQUE ... USING INDEX), so nothing scans under ACCESS EXCLUSIVE.
// Pure.
#include "planners/ops/carry_over.hpp"

#include "planners/sql/quote.hpp"

#include <algorithm>
#include <cctype>

namespace pgphase::planners {

namespace {

struct Token {
    enum class Kind { bare, quoted, literal, other } kind = Kind::other;
    std::string text; // as written
    std::string name; // identifiers: the name it denotes
};

bool ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

bool ident_char(char c) {
    return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '$';
}

// Enough of PostgreSQL's lexer for what pg_get_indexdef, pg_get_constraintdef and the deparser
// print: identifiers (bare ones are lowercase; keywords come out uppercase), quoted identifiers,
// string literals, numbers, and single characters.
std::vector<Token> tokenize(const std::string& sql) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < sql.size()) {
        const char c = sql[i];
        Token token;
        const std::size_t start = i;
        if (c == '"' || c == '\'') {
            token.kind = c == '"' ? Token::Kind::quoted : Token::Kind::literal;
            ++i;
            while (i < sql.size()) {
                if (sql[i] == c) {
                    if (i + 1 < sql.size() && sql[i + 1] == c) {
                        token.name += c;
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                token.name += sql[i++];
            }
        } else if (ident_start(c)) {
            token.kind = Token::Kind::bare;
            while (i < sql.size() && ident_char(sql[i])) {
                ++i;
            }
            token.name = sql.substr(start, i - start);
        } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            while (i < sql.size() && (ident_char(sql[i]) || sql[i] == '.')) {
                ++i;
            }
        } else {
            ++i;
        }
        token.text = sql.substr(start, i - start);
        tokens.push_back(std::move(token));
    }
    return tokens;
}

bool is_space(const Token& token) {
    return token.kind == Token::Kind::other && token.text.size() == 1 &&
           std::isspace(static_cast<unsigned char>(token.text[0])) != 0;
}

const Token* neighbour(const std::vector<Token>& tokens, std::size_t at, int direction) {
    auto i = static_cast<std::ptrdiff_t>(at) + direction;
    while (i >= 0 && i < static_cast<std::ptrdiff_t>(tokens.size()) &&
           is_space(tokens[static_cast<std::size_t>(i)])) {
        i += direction;
    }
    if (i < 0 || i >= static_cast<std::ptrdiff_t>(tokens.size())) {
        return nullptr;
    }
    return &tokens[static_cast<std::size_t>(i)];
}

bool is_column_ref(const std::vector<Token>& tokens, std::size_t at, const std::string& column) {
    const Token& token = tokens[at];
    if ((token.kind != Token::Kind::bare && token.kind != Token::Kind::quoted) ||
        token.name != column) {
        return false;
    }
    const Token* next = neighbour(tokens, at, 1);
    if (next != nullptr && (next->text == "(" || next->text == ".")) {
        return false; // a function, or a schema/table qualifier
    }
    // Directly adjacent tokens only: "::text" or "x.col".
    if (at > 0 && (tokens[at - 1].text == "." || tokens[at - 1].text == ":")) {
        return false;
    }
    return true;
}

// Tokens [first, last) rendered back, with references to `from` replaced by `replacement`.
std::string substitute(const std::vector<Token>& tokens, std::size_t first, std::size_t last,
                       const std::string& from, const std::string& replacement) {
    std::string out;
    for (std::size_t i = first; i < last && i < tokens.size(); ++i) {
        out += is_column_ref(tokens, i, from) ? replacement : tokens[i].text;
    }
    return out;
}

std::string render(const std::vector<Token>& tokens, std::size_t first, std::size_t last,
                   const std::string& from, const std::string& to) {
    return substitute(tokens, first, last, from, quote_ident(to));
}

// Position of the first bare keyword `word`, or tokens.size().
std::size_t find_keyword(const std::vector<Token>& tokens, const std::string& word) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].kind == Token::Kind::bare && tokens[i].name == word) {
            return i;
        }
    }
    return tokens.size();
}

bool uses(const std::vector<std::string>& columns, const std::string& column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
}

std::string column_label(const CatalogTable& table, const std::string& column) {
    return "\"" + table.name + "\".\"" + column + "\"";
}

// A foreign key of another table that references this table's column: the catalog lists it
// under the referenced table too, with the referenced columns. "FOREIGN KEY (a) REFERENCES
// t(b)" is incoming for t when its listed columns are the referenced ones.
bool is_incoming_foreign_key(const CatalogTable& table, const CatalogConstraint& constraint) {
    if (constraint.type != 'f') {
        return false;
    }
    const auto tokens = tokenize(constraint.definition);
    std::size_t i = find_keyword(tokens, "REFERENCES");
    std::string referenced_table;
    for (; i < tokens.size() && tokens[i].text != "("; ++i) {
        if (tokens[i].kind == Token::Kind::quoted ||
            (tokens[i].kind == Token::Kind::bare && tokens[i].name != "REFERENCES")) {
            referenced_table = tokens[i].name;
        }
    }
    std::vector<std::string> referenced;
    for (; i < tokens.size() && tokens[i].text != ")"; ++i) {
        if (tokens[i].kind == Token::Kind::quoted || tokens[i].kind == Token::Kind::bare) {
            referenced.push_back(tokens[i].name);
        }
    }
    std::vector<std::string> listed = constraint.columns;
    std::sort(listed.begin(), listed.end());
    std::sort(referenced.begin(), referenced.end());
    return referenced_table == table.name && listed == referenced;
}

std::string strip_not_valid(std::string definition) {
    const std::string suffix = " NOT VALID";
    if (definition.size() >= suffix.size() &&
        definition.compare(definition.size() - suffix.size(), suffix.size(), suffix) == 0) {
        definition.erase(definition.size() - suffix.size());
    }
    return definition;
}

} // namespace

std::string replace_column_refs(const std::string& sql, const std::string& from,
                                const std::string& to) {
    const auto tokens = tokenize(sql);
    return render(tokens, 0, tokens.size(), from, to);
}

std::string substitute_column_refs(const std::string& sql, const std::string& column,
                                   const std::string& replacement) {
    const auto tokens = tokenize(sql);
    return substitute(tokens, 0, tokens.size(), column, replacement);
}

std::string replacement_name(const std::string& name) {
    return derived_name({"_pgphase_new", name});
}

bool check_carry_over(OpContext& context, const CatalogTable& table, const std::string& column,
                      const std::string& action) {
    bool ok = true;
    const std::string label = column_label(table, column);
    if (uses(table.primary_key, column)) {
        context.diagnostics.error(
            context.change.mark,
            "cannot " + action + " column " + label +
                ": it is part of the "
                "primary key",
            action == "rename"
                ? "the backfill and both app versions find rows by the primary key, so it cannot "
                  "be swapped under them; if every client can switch names at once, a plain "
                  "ALTER TABLE ... RENAME COLUMN is instant (metadata only)"
                : "the backfill and both app versions find rows by the primary key, so it cannot "
                  "be swapped under them; add a new key column (add_column + create_index with "
                  "unique: true), move the application to it, then drop the old key in a later "
                  "migration");
        ok = false;
    }
    for (const auto& constraint : table.constraints) {
        if (!uses(constraint.columns, column)) {
            continue;
        }
        if (constraint.type == 'x') {
            context.diagnostics.error(context.change.mark,
                                      "cannot " + action + " column " + label +
                                          ": it is used by exclusion constraint \"" +
                                          constraint.name + "\"",
                                      "pgphase does not carry exclusion constraints over; drop "
                                      "it in an earlier migration and add it again afterwards");
            ok = false;
        } else if (is_incoming_foreign_key(table, constraint)) {
            context.diagnostics.error(
                context.change.mark,
                "cannot " + action + " column " + label + ": foreign key \"" + constraint.name +
                    "\" of another table references it",
                "dropping the old column at contract would need CASCADE; drop that foreign key "
                "in an earlier migration and add it again (add_foreign_key) on the new column "
                "afterwards");
            ok = false;
        }
    }
    return ok;
}

std::vector<std::string> carry_over_dependents(OpContext& context, const CatalogTable& table,
                                               const std::string& from, const std::string& to) {
    const QualifiedName name = context.table_name(table.name);
    std::vector<std::string> contract;
    for (const auto& index : table.indexes) {
        const auto owner =
            std::find_if(table.constraints.begin(), table.constraints.end(),
                         [&](const CatalogConstraint& c) { return c.name == index.name; });
        const bool owned = owner != table.constraints.end();
        // A constraint's index depends on the constraint, not on the columns: its columns are
        // the constraint's.
        const std::vector<std::string>& columns =
            index.columns.empty() && owned ? owner->columns : index.columns;
        if (index.primary || !uses(columns, from) || (owned && owner->type == 'x')) {
            continue; // a primary key or exclusion constraint is refused by check_carry_over
        }
        const auto tokens = tokenize(index.definition);
        const std::size_t using_at = find_keyword(tokens, "USING");
        if (using_at == tokens.size()) {
            context.diagnostics.error(context.change.mark,
                                      "cannot read the definition of index \"" + index.name +
                                          "\" on \"" + table.name + "\"",
                                      "drop the index in an earlier migration and recreate it "
                                      "with create_index after this one");
            continue;
        }
        const QualifiedName copy{context.plan.schema, replacement_name(index.name)};
        Step& build = context.add_step(Phase::backfill, table.name,
                                       "build index " + copy.name + " on " + table.name + "." + to +
                                           " concurrently, to replace " + index.name);
        build.lock = LockLevel::share_update_exclusive;
        build.transactional = false;
        build.sql.push_back(std::string("CREATE ") + (index.unique ? "UNIQUE " : "") +
                            "INDEX CONCURRENTLY IF NOT EXISTS " + quote_ident(copy.name) + " ON " +
                            name.sql() + " " + render(tokens, using_at, tokens.size(), from, to));
        build.concurrent_index = ConcurrentIndex{copy};
        build.undo.push_back("DROP INDEX CONCURRENTLY IF EXISTS " + copy.sql());
        build.undo_transactional = false;
        if (index.unique) {
            std::string key;
            for (const auto& column : columns) {
                key += key.empty() ? "" : ", ";
                key += quote_ident(column == from ? to : column);
            }
            build.violation_count_sql = "SELECT count(*) FROM (SELECT 1 FROM " + name.sql() +
                                        " WHERE " + quote_ident(to) + " IS NOT NULL GROUP BY " +
                                        key + " HAVING count(*) > 1) AS d";
        }
        if (owned && owner->type == 'u') {
            std::string statement = "ALTER TABLE " + name.sql() + " ADD CONSTRAINT " +
                                    quote_ident(owner->name) + " UNIQUE USING INDEX " +
                                    quote_ident(copy.name);
            if (owner->definition.find("DEFERRABLE") != std::string::npos &&
                owner->definition.find("NOT DEFERRABLE") == std::string::npos) {
                statement += " DEFERRABLE";
                if (owner->definition.find("INITIALLY DEFERRED") != std::string::npos) {
                    statement += " INITIALLY DEFERRED";
                }
            }
            contract.push_back(statement);
        } else {
            contract.push_back("ALTER INDEX " + copy.sql() + " RENAME TO " +
                               quote_ident(index.name));
        }
    }
    for (const auto& constraint : table.constraints) {
        const bool own_foreign_key =
            constraint.type == 'f' && !is_incoming_foreign_key(table, constraint);
        if (!uses(constraint.columns, from) || (constraint.type != 'c' && !own_foreign_key)) {
            continue;
        }
        const std::string copy = replacement_name(constraint.name);
        const auto tokens = tokenize(strip_not_valid(constraint.definition));
        // A foreign key's referenced columns belong to the other table.
        const std::size_t end =
            constraint.type == 'f' ? find_keyword(tokens, "REFERENCES") : tokens.size();
        const std::string definition =
            render(tokens, 0, end, from, to) + render(tokens, end, tokens.size(), "", "");
        const std::string kind = constraint.type == 'f' ? "foreign key" : "check";
        Step& add = context.add_step(Phase::backfill, table.name,
                                     "add " + kind + " " + copy + " on " + table.name + "." + to +
                                         " (not valid), to replace " + constraint.name);
        // ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables; ADD CHECK takes ACCESS
        // EXCLUSIVE. NOT VALID: neither scans.
        add.lock =
            constraint.type == 'f' ? LockLevel::share_row_exclusive : LockLevel::access_exclusive;
        add.sql.push_back("ALTER TABLE " + name.sql() + " ADD CONSTRAINT " + quote_ident(copy) +
                          " " + definition + " NOT VALID");
        add.undo.push_back("ALTER TABLE " + name.sql() + " DROP CONSTRAINT IF EXISTS " +
                           quote_ident(copy));
        if (constraint.validated) {
            Step& validate =
                context.add_step(Phase::backfill, table.name,
                                 "validate " + kind + " " + copy + " on " + table.name + "." + to);
            validate.lock = LockLevel::share_update_exclusive;
            validate.sql.push_back("ALTER TABLE " + name.sql() + " VALIDATE CONSTRAINT " +
                                   quote_ident(copy));
            if (constraint.type == 'c' && definition.rfind("CHECK ", 0) == 0) {
                validate.violation_count_sql =
                    "SELECT count(*) FROM " + name.sql() + " WHERE NOT " + definition.substr(6);
            }
        }
        contract.push_back("ALTER TABLE " + name.sql() + " RENAME CONSTRAINT " + quote_ident(copy) +
                           " TO " + quote_ident(constraint.name));
    }
    return contract;
}

} // namespace pgphase::planners
