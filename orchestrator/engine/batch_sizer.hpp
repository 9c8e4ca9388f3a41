// Batch size control: grow or shrink multiplicatively toward a target batch time, bounded by
// [min_size, max_size]. Pure arithmetic, so the engine's pacing is testable without a database.
#pragma once

#include "planners/model/plan.hpp"

#include <cstdint>

namespace pgphase::orchestrator {

class BatchSizer {
public:
    static constexpr std::int64_t min_size = 10;

    BatchSizer(std::int64_t initial, std::int64_t max_size, planners::Milliseconds target);

    std::int64_t size() const { return m_size; }
    std::int64_t max_size() const { return m_max; }
    planners::Milliseconds target() const { return m_target; }

    // After a batch that visited `rows` rows in `elapsed`: steer the size toward the target
    // time, changing it by at most x2 down or x1.5 up per batch. A short batch at the end of
    // the range (rows < size) says nothing about speed and leaves the size alone.
    void record(std::int64_t rows, planners::Milliseconds elapsed);

    // After a batch that timed out: halve it.
    void shrink();

    // Runtime tuning (pgphase tune); the size is clamped into the new bounds.
    void set_limits(std::int64_t max_size, planners::Milliseconds target);

private:
    std::int64_t m_size;
    std::int64_t m_max;
    planners::Milliseconds m_target;
};

} // namespace pgphase::orchestrator
