// Golden files: every example plan (plans/*.yaml) and the hostile-identifier fixture, rendered
// as SQL against the fixture catalog, must match tests/golden/<name>.sql byte for byte.
// Regenerate with scripts/update-golden.sh and review the diff like code.
#include "planners/load/plan_loader.hpp"
#include "planners/plan/planner.hpp"
#include "planners/plan/render.hpp"
#include "tests/unit/fixture_catalog.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace pgphase::planners {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> golden_plans() {
    const fs::path root = PGPHASE_SOURCE_DIR;
    std::vector<fs::path> plans;
    for (const auto& dir : {root / "plans", root / "tests" / "fixtures" / "plans"}) {
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.path().extension() == ".yaml") {
                plans.push_back(entry.path());
            }
        }
    }
    std::sort(plans.begin(), plans.end());
    return plans;
}

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(Golden, EveryPlanRendersToItsCheckedInSql) {
    const fs::path golden_dir = fs::path(PGPHASE_SOURCE_DIR) / "tests" / "golden";
    const bool update = std::getenv("PGPHASE_UPDATE_GOLDEN") != nullptr;
    const auto plans = golden_plans();
    ASSERT_GE(plans.size(), 4U);
    const Catalog catalog = testing::fixture_catalog();
    for (const auto& path : plans) {
        SCOPED_TRACE(path.string());
        LoadResult loaded = load_plan_file(path.string());
        ASSERT_TRUE(loaded.plan) << loaded.diagnostics.to_string();
        const PlannedMigration planned = plan_migration(*loaded.plan, &catalog);
        ASSERT_FALSE(planned.diagnostics.has_errors()) << planned.diagnostics.to_string();
        const std::string rendered = render(*loaded.plan, planned, RenderFormat::sql);
        const fs::path golden = golden_dir / (path.stem().string() + ".sql");
        if (update) {
            std::ofstream(golden, std::ios::binary) << rendered;
            continue;
        }
        ASSERT_TRUE(fs::exists(golden)) << "missing " << golden << "; run scripts/update-golden.sh";
        EXPECT_EQ(read(golden), rendered)
            << "golden " << golden << " is stale; run scripts/update-golden.sh and review";
    }
}

} // namespace
} // namespace pgphase::planners
