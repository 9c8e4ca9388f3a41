// Operation names and the plan checksum. Pure.
#include "planners/model/plan.hpp"

#include "planners/sql/quote.hpp"

namespace pgphase::planners {

namespace {
struct Namer {
    std::string operator()(const RenameColumn&) const { return "rename_column"; }
    std::string operator()(const AddColumn&) const { return "add_column"; }
    std::string operator()(const CreateIndex&) const { return "create_index"; }
    std::string operator()(const SetNotNull&) const { return "set_not_null"; }
    std::string operator()(const DropNotNull&) const { return "drop_not_null"; }
    std::string operator()(const SetDefault&) const { return "set_default"; }
    std::string operator()(const DropDefault&) const { return "drop_default"; }
    std::string operator()(const DropIndex&) const { return "drop_index"; }
    std::string operator()(const BackfillData&) const { return "backfill"; }
    std::string operator()(const RawSql&) const { return "sql"; }
};

// A canonical text of each operation: quoted fields, so no two different plans collide by
// concatenation.
struct Canonical {
    std::string operator()(const RenameColumn& op) const {
        return "rename_column " + quote_ident(op.table) + " " + quote_ident(op.from) + " " +
               quote_ident(op.to);
    }
    std::string operator()(const AddColumn& op) const {
        std::string out = "add_column " + quote_ident(op.table) + " " +
                          quote_ident(op.column.name) + " " + quote_literal(op.column.type.sql) +
                          (op.column.nullable ? " null" : " not_null");
        out += " default=" + (op.column.default_value ? quote_literal(op.column.default_value->sql)
                                                      : std::string("-"));
        out += " up=" + (op.up ? quote_literal(op.up->sql) : std::string("-"));
        return out;
    }
    std::string operator()(const CreateIndex& op) const {
        std::string out = "create_index " + quote_ident(op.table) + " " + quote_ident(op.name) +
                          (op.unique ? " unique " : " ") + op.method;
        for (const auto& column : op.columns) {
            out += " " + quote_ident(column);
        }
        out += " where=" + (op.where ? quote_literal(op.where->sql) : std::string("-"));
        return out;
    }
    std::string operator()(const SetNotNull& op) const {
        return "set_not_null " + quote_ident(op.table) + " " + quote_ident(op.column) +
               " up=" + (op.up ? quote_literal(op.up->sql) : std::string("-"));
    }
    std::string operator()(const DropNotNull& op) const {
        return "drop_not_null " + quote_ident(op.table) + " " + quote_ident(op.column);
    }
    std::string operator()(const SetDefault& op) const {
        return "set_default " + quote_ident(op.table) + " " + quote_ident(op.column) + " " +
               quote_literal(op.default_value.sql);
    }
    std::string operator()(const DropDefault& op) const {
        return "drop_default " + quote_ident(op.table) + " " + quote_ident(op.column);
    }
    std::string operator()(const DropIndex& op) const {
        return "drop_index " + quote_ident(op.name);
    }
    std::string operator()(const BackfillData& op) const {
        std::string out = "backfill " + quote_ident(op.table);
        for (const auto& [column, expression] : op.set) {
            out += " " + quote_ident(column) + "=" + quote_literal(expression.sql);
        }
        out += " where=" + (op.where ? quote_literal(op.where->sql) : std::string("-"));
        return out;
    }
    std::string operator()(const RawSql& op) const {
        return "sql " + op.phase + (op.transactional ? " transactional " : " outside ") +
               "up=" + quote_literal(op.up.text) +
               " down=" + (op.down ? quote_literal(op.down->text) : std::string("-"));
    }
};
} // namespace

SourceMark locate(const SqlText& sql, int line, int column) {
    SourceMark at = sql.mark;
    if (!sql.mapped || line <= 0 || column <= 0 || (line > 1 && !sql.block)) {
        return at;
    }
    at.line += line - 1;
    at.column += column - 1;
    return at;
}

std::string operation_name(const Operation& operation) {
    return std::visit(Namer{}, operation);
}

std::string checksum(const Plan& plan) {
    std::string canonical =
        "pgphase-plan-v1\n" + quote_ident(plan.name) + "\n" + quote_ident(plan.schema) + "\n";
    for (const auto& change : plan.changes) {
        canonical += std::visit(Canonical{}, change.operation);
        canonical += '\n';
    }
    return fnv1a_hex(canonical);
}

} // namespace pgphase::planners
