// What the constraint operations' tests share: the state of a constraint or index by name, and
// (drop_constraint, rename_constraint) an orders table holding a UNIQUE and a CHECK constraint.
#pragma once

#include "tests/integration/support.hpp"

#include <string>

namespace pgphase::testing {

// Constraint `name`: "true" once validated, "false" while NOT VALID, "absent" if there is none.
std::string constraint_validity(orchestrator::Session& session, const std::string& name);

// Index `name`: "true" when valid, "false" while INVALID (a build running or failed), "absent"
// if there is none.
std::string index_validity(orchestrator::Session& session, const std::string& name);

class OrdersWithConstraints : public DatabaseTest {
protected:
    // orders (id PRIMARY KEY, reference UNIQUE as orders_reference_key, total CHECK (total >= 0)
    // as orders_total_check), ids 1..50.
    void SetUp() override;

    // The names of the constraints on orders, sorted, comma separated.
    std::string constraints();
};

} // namespace pgphase::testing
