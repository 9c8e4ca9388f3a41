// What other operations need to know of a rename_column of the same plan. Pure.
#pragma once

#include "planners/model/plan.hpp"

#include <cstddef>
#include <string>

namespace pgphase::planners {

// Why the rename_column that is change `index` of `plan` must copy its column (shadow column,
// sync trigger, backfill) rather than rename it in the catalog at contract; "" when it need
// not. Only a copy rebuilds the column, dropping what was put on the old one.
std::string rename_copy_reason(const Plan& plan, std::size_t index);

} // namespace pgphase::planners
