// Multiplicative batch sizing. Pure.
#include "orchestrator/engine/batch_sizer.hpp"

#include <algorithm>

namespace pgphase::orchestrator {

BatchSizer::BatchSizer(std::int64_t initial, std::int64_t max_size, planners::Milliseconds target)
    : m_size(initial)
    , m_max(std::max(max_size, min_size))
    , m_target(target) {
    m_size = std::clamp(m_size, min_size, m_max);
}

void BatchSizer::record(std::int64_t rows, planners::Milliseconds elapsed) {
    if (rows < m_size) {
        return;
    }
    double factor = 1.5;
    if (elapsed.count() > 0) {
        factor = static_cast<double>(m_target.count()) / static_cast<double>(elapsed.count());
    }
    factor = std::clamp(factor, 0.5, 1.5);
    const auto next = static_cast<std::int64_t>(static_cast<double>(m_size) * factor);
    m_size = std::clamp(next, min_size, m_max);
}

void BatchSizer::shrink() {
    m_size = std::max(min_size, m_size / 2);
}

void BatchSizer::set_limits(std::int64_t max_size, planners::Milliseconds target) {
    m_max = std::max(max_size, min_size);
    m_target = target;
    m_size = std::clamp(m_size, min_size, m_max);
}

} // namespace pgphase::orchestrator
