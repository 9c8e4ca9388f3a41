// Operation names and the plan checksum. Pure.
#include "planners/model/plan.hpp"

#include "planners/sql/quote.hpp"

namespace pgphase::planners {

namespace {
struct Namer {
    std::string operator()(const RenameColumn&) const { return "rename_column"; }
    std::string operator()(const AddColumn&) const { return "add_column"; }
    std::string operator()(const CreateIndex&) const { return "create_index"; }
    std::string operator()(const AddCheck&) const { return "add_check"; }
    std::string operator()(const AddForeignKey&) const { return "add_foreign_key"; }
    std::string operator()(const AddUnique&) const { return "add_unique"; }
    std::string operator()(const AddPrimaryKey&) const { return "add_primary_key"; }
    std::string operator()(const DropConstraint&) const { return "drop_constraint"; }
    std::string operator()(const RenameConstraint&) const { return "rename_constraint"; }
    std::string operator()(const ChangeType&) const { return "change_type"; }
    std::string operator()(const CreateTable&) const { return "create_table"; }
    std::string operator()(const DropTable&) const { return "drop_table"; }
    std::string operator()(const RenameTable&) const { return "rename_table"; }
    std::string operator()(const DropColumn&) const { return "drop_column"; }
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
        out += column_constraints(op.column); // empty for plans without them: checksums hold
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
    static std::string columns(const std::vector<std::string>& names) {
        std::string out = " (";
        for (const auto& name : names) {
            out += " " + quote_ident(name);
        }
        return out + " )";
    }
    std::string operator()(const AddCheck& op) const {
        std::string out = "add_check " + quote_ident(op.table) + " " + quote_ident(op.name) + " " +
                          quote_literal(op.check.sql) + " up=";
        for (const auto& [column, value] : op.up) {
            out += " " + quote_ident(column) + "=" + quote_literal(value.sql);
        }
        return out;
    }
    std::string operator()(const AddForeignKey& op) const {
        return "add_foreign_key " + quote_ident(op.table) + " " + quote_ident(op.name) +
               columns(op.columns) + " " + quote_ident(op.references_table) +
               columns(op.references_columns) + " " + quote_literal(op.on_delete) + " " +
               quote_literal(op.on_update) + (op.index ? " index" : " no_index");
    }
    std::string operator()(const AddUnique& op) const {
        return "add_unique " + quote_ident(op.table) + " " + quote_ident(op.name) +
               columns(op.columns);
    }
    std::string operator()(const AddPrimaryKey& op) const {
        return "add_primary_key " + quote_ident(op.table) + " " + quote_ident(op.name) +
               columns(op.columns);
    }
    std::string operator()(const DropConstraint& op) const {
        return "drop_constraint " + quote_ident(op.table) + " " + quote_ident(op.name);
    }
    std::string operator()(const RenameConstraint& op) const {
        return "rename_constraint " + quote_ident(op.table) + " " + quote_ident(op.from) + " " +
               quote_ident(op.to);
    }
    std::string operator()(const ChangeType& op) const {
        return "change_type " + quote_ident(op.table) + " " + quote_ident(op.column) + " " +
               quote_literal(op.type.sql) +
               " up=" + (op.up ? quote_literal(op.up->sql) : std::string("-")) +
               " down=" + (op.down ? quote_literal(op.down->sql) : std::string("-"));
    }
    std::string operator()(const CreateTable& op) const {
        std::string out = "create_table " + quote_ident(op.table);
        for (const auto& column : op.columns) {
            out += " column(" + quote_ident(column.name) + " " + quote_literal(column.type.sql) +
                   (column.nullable ? " null" : " not_null") + " default=" +
                   (column.default_value ? quote_literal(column.default_value->sql) : "-") +
                   (column.primary_key ? " pk" : "") + " identity=" + column.identity +
                   column_constraints(column) + ")";
        }
        out += " pk=" + names(op.primary_key);
        for (const auto& unique : op.unique) {
            out += " unique(" + quote_ident(unique.name) + names(unique.columns) + ")";
        }
        for (const auto& check : op.checks) {
            out += " check(" + quote_ident(check.name) + quote_literal(check.expression.sql) + ")";
        }
        for (const auto& fk : op.foreign_keys) {
            out +=
                " fk(" + quote_ident(fk.name) + names(fk.columns) + reference(fk.references) + ")";
        }
        return out;
    }
    std::string operator()(const DropTable& op) const {
        return "drop_table " + quote_ident(op.table);
    }
    std::string operator()(const RenameTable& op) const {
        return "rename_table " + quote_ident(op.from) + " " + quote_ident(op.to);
    }
    std::string operator()(const DropColumn& op) const {
        return "drop_column " + quote_ident(op.table) + " " + quote_ident(op.column) +
               " down=" + (op.down ? quote_literal(op.down->sql) : std::string("-"));
    }

    static std::string names(const std::vector<std::string>& list) {
        std::string out = "[";
        for (const auto& name : list) {
            out += quote_ident(name) + ",";
        }
        return out + "]";
    }
    static std::string reference(const ForeignKeyReference& ref) {
        return " ref=" + quote_ident(ref.table) + names(ref.columns) +
               " on_delete=" + ref.on_delete;
    }
    static std::string column_constraints(const ColumnDefinition& column) {
        std::string out;
        if (column.unique) {
            out += " unique";
        }
        if (column.check) {
            out += " check=" + quote_literal(column.check->sql);
        }
        if (column.references) {
            out += reference(*column.references);
        }
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
