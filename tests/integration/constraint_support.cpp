// The constraint tests' shared lookups and fixture.
#include "tests/integration/constraint_support.hpp"

namespace pgphase::testing {

std::string constraint_validity(orchestrator::Session& session, const std::string& name) {
    return session
        .query("SELECT coalesce((SELECT convalidated::text FROM pg_constraint WHERE conname = $1), "
               "'absent')",
               {name})
        .text(0, 0);
}

std::string index_validity(orchestrator::Session& session, const std::string& name) {
    return session
        .query("SELECT coalesce((SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
               "to_regclass(quote_ident($1))), 'absent')",
               {name})
        .text(0, 0);
}

void OrdersWithConstraints::SetUp() {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
        return;
    }
    db().execute("CREATE TABLE orders (id bigint PRIMARY KEY, reference text CONSTRAINT "
                 "orders_reference_key UNIQUE, total int CONSTRAINT orders_total_check "
                 "CHECK (total >= 0))");
    db().execute("INSERT INTO orders SELECT i, 'r' || i, i FROM generate_series(1, 50) i");
}

std::string OrdersWithConstraints::constraints() {
    return scalar("SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE "
                  "conrelid = 'orders'::regclass");
}

} // namespace pgphase::testing
