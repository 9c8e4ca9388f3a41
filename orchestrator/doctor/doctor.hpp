// `pgphase doctor`: reads the whole database (catalog and pgphase's state store) for what
// crashes, killed sessions and hand edits leave behind, and repairs the safe part of it. Reading
// never changes anything, not even the state store's schema.
#pragma once

#include "orchestrator/pg/dsn.hpp"
#include "orchestrator/pg/session.hpp"
#include "planners/doctor/finding.hpp"
#include "planners/model/plan.hpp"

#include <functional>
#include <string>
#include <vector>

namespace pgphase::orchestrator::doctor {

struct DoctorOptions {
    std::string state_schema = "pgphase";
    std::string actor; // for the event log of a finished rollback
    // A paused backfill, or one whose status has not moved, is reported after this long.
    planners::Milliseconds stalled_after = std::chrono::hours(1);
    double sequence_threshold = 0.75; // of the range used
    // Drift: a migrations folder (Prisma's or plain *.sql) to compare the live schema with.
    // A Prisma folder's unqualified names live in the URL's ?schema= (else public).
    std::string migrations_dir;
    std::string database_url;
    std::function<void(planners::Milliseconds)> sleep; // between lock attempts; default: sleep
};

// Every finding, in a stable order: by check, then by object.
std::vector<planners::doctor::Finding> examine(Session& session, const DoctorOptions& options);

struct RepairResult {
    std::vector<const planners::doctor::Finding*> repaired;
    std::vector<std::string> failures; // "what: why", for the ones that failed
    bool lock_gave_up = false;         // one of them never got its lock (exit 4)
};

// Makes each fixable finding's repair, in order, and goes on past one that fails. `announce` is
// called with each repair's text before it runs.
RepairResult repair(Session& session, const Dsn& dsn,
                    const std::vector<planners::doctor::Finding>& findings,
                    const DoctorOptions& options,
                    const std::function<void(const std::string&)>& announce);

} // namespace pgphase::orchestrator::doctor
