#include "planners/model/interned.hpp"

#include <mutex>
#include <set>

namespace pgphase::planners {

namespace {

struct Pool {
    std::mutex mutex;
    std::set<std::string, std::less<>> texts; // a node's string never moves
};

Pool& pool() {
    // Never destroyed: an Interned in a static object may outlive any destructor order.
    static auto* const instance = new Pool; // NOLINT(cppcoreguidelines-owning-memory)
    return *instance;
}

const std::string& empty_text() noexcept {
    static const std::string empty;
    return empty;
}

const std::string* intern(std::string_view text) {
    if (text.empty()) {
        return &empty_text();
    }
    Pool& p = pool();
    const std::lock_guard lock(p.mutex);
    auto found = p.texts.find(text);
    if (found == p.texts.end()) {
        found = p.texts.emplace(text).first;
    }
    return &*found;
}

} // namespace

Interned::Interned() noexcept
    : m_text(&empty_text()) {}

Interned::Interned(std::string_view text)
    : m_text(intern(text)) {}

} // namespace pgphase::planners
