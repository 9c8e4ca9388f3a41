// The one list of operations a plan can name, and what is derived from it: an operation's
// name, the plan checksum. Adding an operation: its struct in model/plan.hpp (and Operation),
// its unit in ops/<operation>.cpp, and one line in each list below. Pure.
#include "planners/ops/registry.hpp"

#include "planners/sql/quote.hpp"

#include <stdexcept>

namespace pgphase::planners {

// Defined in planners/ops/<operation>.cpp.
extern const OperationUnit rename_column_unit;
extern const OperationUnit add_column_unit;
extern const OperationUnit create_index_unit;
extern const OperationUnit add_check_unit;
extern const OperationUnit add_foreign_key_unit;
extern const OperationUnit add_unique_unit;
extern const OperationUnit add_primary_key_unit;
extern const OperationUnit drop_constraint_unit;
extern const OperationUnit rename_constraint_unit;
extern const OperationUnit change_type_unit;
extern const OperationUnit create_table_unit;
extern const OperationUnit drop_table_unit;
extern const OperationUnit rename_table_unit;
extern const OperationUnit drop_column_unit;
extern const OperationUnit set_not_null_unit;
extern const OperationUnit drop_not_null_unit;
extern const OperationUnit set_default_unit;
extern const OperationUnit drop_default_unit;
extern const OperationUnit drop_index_unit;
extern const OperationUnit backfill_data_unit;
extern const OperationUnit raw_sql_unit;
extern const OperationUnit set_comment_unit;
extern const OperationUnit set_replica_identity_unit;
extern const OperationUnit restore_column_unit;
extern const OperationUnit restore_table_unit;

const std::vector<const OperationUnit*>& operation_units() {
    static const std::vector<const OperationUnit*> units = {
        &rename_column_unit,   &add_column_unit,           &create_index_unit,
        &add_check_unit,       &add_foreign_key_unit,      &add_unique_unit,
        &add_primary_key_unit, &drop_constraint_unit,      &rename_constraint_unit,
        &change_type_unit,     &create_table_unit,         &drop_table_unit,
        &rename_table_unit,    &drop_column_unit,          &set_not_null_unit,
        &drop_not_null_unit,   &set_default_unit,          &drop_default_unit,
        &drop_index_unit,      &backfill_data_unit,        &raw_sql_unit,
        &set_comment_unit,     &set_replica_identity_unit, &restore_column_unit,
        &restore_table_unit,
    };
    return units;
}

const OperationUnit& unit_of(const Operation& operation) {
    static const std::vector<const OperationUnit*> by_index = [] {
        std::vector<const OperationUnit*> table(std::variant_size_v<Operation>, nullptr);
        for (const OperationUnit* unit : operation_units()) {
            if (unit->index >= table.size() || table[unit->index] != nullptr) {
                throw std::logic_error("operation unit \"" + std::string(unit->name) +
                                       "\" registered twice or for no Operation alternative");
            }
            table[unit->index] = unit;
        }
        return table;
    }();
    const OperationUnit* unit = by_index.at(operation.index());
    if (unit == nullptr) {
        throw std::logic_error("Operation alternative " + std::to_string(operation.index()) +
                               " has no unit in planners/ops/registry.cpp");
    }
    return *unit;
}

const OperationUnit* find_unit(std::string_view name) {
    for (const OperationUnit* unit : operation_units()) {
        if (unit->name == name) {
            return unit;
        }
    }
    return nullptr;
}

std::string operation_name(const Operation& operation) {
    return std::string(unit_of(operation).name);
}

std::string checksum(const Plan& plan) {
    std::string canonical =
        "pgphase-plan-v1\n" + quote_ident(plan.name) + "\n" + quote_ident(plan.schema) + "\n";
    for (const auto& change : plan.changes) {
        canonical += unit_of(change.operation).canonical(change.operation);
        canonical += '\n';
    }
    return fnv1a_hex(canonical);
}

} // namespace pgphase::planners
