// What the backfill engine and walk tests share: a users table whose `touched` column counts
// the backfill's UPDATEs of each row, a slow rename to backfill, and a run killed part way.
#pragma once

#include "tests/integration/support.hpp"

#include <cstdint>
#include <string>

namespace pgphase::testing {

class BackfillTest : public DatabaseTest {
protected:
    // users (id, email, amount DEFAULT 7, touched) with ids 1..`rows`. `touched` counts the
    // UPDATEs the backfill makes to each row (the app's do not count). `primary_key` ends the
    // column list: ", PRIMARY KEY (id)", or "" for a table without one.
    void create_counted_users(const std::string& primary_key, int rows = 20000);

    // A rename of users.email whose backfill takes about 4 s: 20000 rows at 5000 rows/s in
    // batches of 500. `extra_settings`: more lines under settings.backfill.
    std::string slow_plan(const std::string& extra_settings = "");

    // Rows the backfill has written so far, over every worker's checkpoint.
    std::int64_t rows_done();

    // Runs `pgphase backfill plan` in the background and SIGKILLs it once `point` rows are
    // done, then waits until its connections are gone (its batches in flight roll back).
    void kill_at(const std::string& plan, std::int64_t point);

    // `rows` rows, each with email_address equal to email and written by the backfill exactly
    // once. (What the checkpoints count is the caller's to check: a ctid walk counts more.)
    void expect_every_row_written_once(const std::string& rows = "20000");
};

} // namespace pgphase::testing
