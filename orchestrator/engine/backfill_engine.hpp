// The backfill engine, on Boost.Asio: a batch loop whose size adapts toward the target batch
// time, a rate cap, a health monitor whose signals pause the work, runtime controls read from
// the state store (pause/resume/tune from another shell), reconnects with backoff, and
// SIGINT/SIGTERM handling that checkpoints and stops within 2 seconds.
#pragma once

#include "orchestrator/pg/dsn.hpp"
#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace pgphase::orchestrator {

struct EngineOptions {
    std::string migration;
    int step = 0;
    std::string state_schema = "pgphase";
    std::string actor;
    std::int64_t max_batches = 0; // stop after this many batches in this run; 0 = no limit
    bool progress_bar = false;    // a live bar on stderr (a terminal, text logs)
    // A fleet run's stop flag: once true, the batches in flight finish (not cancelled), the
    // checkpoint is saved and the engine returns with `stopped`.
    const std::atomic<bool>* stop = nullptr;
    // Called on the engine's thread after each batch: the share done (0..1) and rows done.
    std::function<void(double fraction, std::int64_t rows_done)> on_progress;
};

struct BackfillResult {
    std::int64_t rows_visited = 0; // rows whose key the sweep passed, over all runs
    std::int64_t rows_updated = 0; // in this run
    std::int64_t batches = 0;      // in this run
    bool finished = false;         // the pinned range is done
    bool interrupted = false;      // stopped by a signal after a clean checkpoint
    bool stopped = false;          // stopped by EngineOptions::stop after a clean checkpoint
    std::string last_key;          // where a rerun resumes, for messages
};

// Runs (or resumes) one backfill step to the end of its pinned range, unless stopped by
// max_batches or a signal. Throws CommandError when a batch keeps failing.
BackfillResult run_backfill_engine(const Dsn& dsn, const EngineOptions& options,
                                   const planners::BackfillTask& task,
                                   const planners::Settings& settings);

} // namespace pgphase::orchestrator
