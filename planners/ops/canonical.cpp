// The checksum's shared canonical pieces. Pure.
#include "planners/ops/canonical.hpp"

#include "planners/sql/quote.hpp"

namespace pgphase::planners::canonical {

std::string columns(const std::vector<std::string>& names) {
    std::string out = " (";
    for (const auto& name : names) {
        out += " " + quote_ident(name);
    }
    return out + " )";
}

std::string names(const std::vector<std::string>& list) {
    std::string out = "[";
    for (const auto& name : list) {
        out += quote_ident(name) + ",";
    }
    return out + "]";
}

std::string reference(const ForeignKeyReference& ref) {
    return " ref=" + quote_ident(ref.table) + names(ref.columns) + " on_delete=" + ref.on_delete;
}

std::string column_constraints(const ColumnDefinition& column) {
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

std::string optional_expression(const std::optional<Expression>& expression) {
    return expression ? quote_literal(expression->sql) : std::string("-");
}

} // namespace pgphase::planners::canonical
