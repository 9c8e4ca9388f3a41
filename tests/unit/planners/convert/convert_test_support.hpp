// Converts SQL and loads the result with the real plan loader, so every mapping test also
// proves the output is a plan `pgphase plan` accepts.
#pragma once

#include "planners/convert/converter.hpp"
#include "planners/load/plan_loader.hpp"

#include <gtest/gtest.h>
#include <string>
#include <variant>

namespace pgphase::planners::convert {

struct Converted {
    ConvertResult result;
    LoadResult loaded;
};

inline Converted convert_and_load(const std::string& sql,
                                  const std::string& path = "migrations/1_test/migration.sql") {
    Converted out{convert_sql(path, sql), {}};
    out.loaded = load_plan_text(out.result.yaml, "converted.yaml");
    return out;
}

// The operations of a converted plan that must load; fails the test (with the YAML) if not.
inline std::vector<Change> changes_of(const std::string& sql) {
    Converted converted = convert_and_load(sql);
    EXPECT_FALSE(converted.result.errors.has_errors()) << converted.result.errors.to_string();
    EXPECT_TRUE(converted.loaded.plan.has_value())
        << converted.loaded.diagnostics.to_string() << "\n"
        << converted.result.yaml;
    if (!converted.loaded.plan) {
        return {};
    }
    return converted.loaded.plan->changes;
}

// By value: callers pass the temporary changes_of() returns.
template <typename T> T only(const std::vector<Change>& changes) {
    EXPECT_EQ(changes.size(), 1U);
    if (changes.size() != 1 || !std::holds_alternative<T>(changes[0].operation)) {
        ADD_FAILURE() << "expected one " << typeid(T).name() << ", got "
                      << (changes.empty() ? "nothing" : operation_name(changes[0].operation));
        return T{};
    }
    return std::get<T>(changes[0].operation);
}

} // namespace pgphase::planners::convert
