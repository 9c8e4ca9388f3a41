#!/usr/bin/env bash
# Regenerates tests/fixtures/lint/corpus-findings.txt: pgphase lint's findings over the Prisma
# corpus in ../shared/corpus/prisma. Review the diff (git diff tests/fixtures/lint) like code.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PGPHASE_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"${PGPHASE_JOBS:-2}" --target pgphase_unit_tests
PGPHASE_UPDATE_GOLDEN=1 "./$build/tests/pgphase_unit_tests" --gtest_filter='LintCorpus.FindingsMatchTheSnapshot'
git status --short tests/fixtures/lint
