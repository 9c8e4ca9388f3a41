#!/usr/bin/env bash
# Regenerates tests/golden/*.sql from plans/*.yaml and tests/fixtures/plans/*.yaml. Review the
# diff (git diff tests/golden) like code before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${PGPHASE_JOBS:-2}" --target pgphase_unit_tests
PGPHASE_UPDATE_GOLDEN=1 ./build/tests/pgphase_unit_tests --gtest_filter='Golden.*'
git status --short tests/golden
