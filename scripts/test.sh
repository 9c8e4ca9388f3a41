#!/usr/bin/env bash
# The project's one test command (CI runs it through .ci/run): installs dependencies, builds
# with warnings as errors, runs every test against a throwaway PostgreSQL, then does it all
# again under AddressSanitizer + UndefinedBehaviorSanitizer (skip with PGPHASE_SKIP_SANITIZE=1).
# Also runs the static checks (scripts/lint.sh). Ends with a line "N passed, N failed" and exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

JOBS=${PGPHASE_JOBS:-2}
# Integration tests look at CI=true; make sure it reaches ctest unchanged.
if [[ -n ${CI+set} ]]; then
  export CI
fi

passed=0
failed=0
problems=()

# On Ctrl-C or TERM, stop after the current step (its server is already cleaned up).
trap 'echo "test.sh: interrupted" >&2; exit 130' INT
trap 'echo "test.sh: terminated" >&2; exit 143' TERM

# Each stage's heading is preceded by how long the run has taken so far, so that slow stages
# show in CI logs; the headings themselves stay as they were.
section() {
  printf '\ntest.sh: %dm%02ds so far\n=== %s ===\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"
}

finish() {
  section summary
  local p
  for p in "${problems[@]}"; do
    echo "FAILED: $p"
  done
  echo "$passed passed, $failed failed"
  if [[ $failed -gt 0 || ${#problems[@]} -gt 0 ]]; then
    exit 1
  fi
  exit 0
}

# configure_and_build BUILD_DIR CMAKE_ARGS...: a build failure counts as one failure and
# ends the run (there is nothing to test).
configure_and_build() {
  local dir=$1
  shift
  if ! cmake -S . -B "$dir" "$@" || ! cmake --build "$dir" -j "$JOBS"; then
    problems+=("build in $dir")
    failed=$((failed + 1))
    finish
  fi
}

# run_ctest BUILD_DIR [--exclude REGEX] [--exclude-label LABEL] [VAR=VALUE...]: runs
# BUILD_DIR's tests (but those matching REGEX or labelled LABEL) under their own throwaway
# PostgreSQL and adds ctest's counts to the totals.
run_ctest() {
  local dir=$1
  shift
  local exclude=()
  if [[ ${1:-} == --exclude ]]; then
    exclude=(-E "$2")
    echo "test.sh: not run in this stage (the other stage runs them): $2"
    shift 2
  fi
  if [[ ${1:-} == --exclude-label ]]; then
    exclude+=(-LE "$2")
    echo "test.sh: tests labelled $2 are run on their own in this stage"
    shift 2
  fi
  local log=$dir/ctest-output.log rc line
  set +e
  # tee ignores Ctrl-C so that it outlives the stage and shows its cleanup messages.
  env "$@" bash scripts/with-postgres.sh --servers 2 ctest --test-dir "$dir" "${exclude[@]}" \
    --output-on-failure 2>&1 |
    (
      trap '' INT
      exec tee "$log"
    )
  rc=${PIPESTATUS[0]}
  set -e
  if [[ $rc -eq 130 || $rc -eq 143 ]]; then
    echo "test.sh: interrupted" >&2
    exit "$rc"
  fi
  # e.g. "95% tests passed, 1 tests failed out of 20"
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    local nfail=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
    passed=$((passed + total - nfail))
    failed=$((failed + nfail))
    if [[ $rc -ne 0 && $nfail -eq 0 ]]; then
      problems+=("ctest in $dir exited $rc")
      failed=$((failed + 1))
    fi
  else
    # No summary: no tests were found, or ctest/PostgreSQL could not run at all.
    problems+=("ctest in $dir (exit $rc) printed no test summary; see $log")
    failed=$((failed + 1))
  fi
}

# run_gtest BINARY [VAR=VALUE...]: runs every test of a GoogleTest binary in one process and
# adds its counts to the totals.
run_gtest() {
  local binary=$1
  shift
  local log=$binary.log rc summary nfail=0 npass=0
  set +e
  env "$@" "$binary" --gtest_brief=1 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  summary=$(grep -E '^\[==========\] [0-9]+ tests? from' "$log" | tail -n 1 || true)
  if [[ -z $summary ]]; then
    problems+=("$binary (exit $rc) printed no test summary; see $log")
    failed=$((failed + 1))
    return
  fi
  npass=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  nfail=$(grep -oE '^\[  FAILED  \] [0-9]+ tests?, listed below' "$log" | grep -oE '^[^0-9]*[0-9]+' |
    grep -oE '[0-9]+$' || echo 0)
  passed=$((passed + npass))
  failed=$((failed + nfail))
  if [[ $rc -ne 0 && $nfail -eq 0 ]]; then
    problems+=("$binary exited $rc")
    failed=$((failed + 1))
  fi
}

section deps
bash scripts/deps.sh --test

section build
# Optimised as users run it, without debug info (it only slows the build; the sanitizer
# build below has line tables for its reports). Compiled in batches of .cpp files (a unity
# build, see the sanitizer stage), which cuts this build to about 40% of its CPU time and keeps
# CI under 40 minutes. clang-tidy (build-tidy below) still reads each file of planners/,
# orchestrator/ and tools/ on its own, as users' plain build compiles them; that a test file
# compiles on its own (its includes) is left to developers' plain builds.
configure_and_build build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DPGPHASE_WERROR=ON -DCMAKE_UNITY_BUILD=ON

section test
run_ctest build

section "static checks (clang-format, clang-tidy)"
# clang-tidy needs a compile command per file, which a unity build's compile_commands.json
# lacks (it lists the batches): a configured, never built, plain build dir with the same flags.
if ! cmake -S . -B build-tidy -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DPGPHASE_WERROR=ON -DCMAKE_UNITY_BUILD=OFF >/dev/null || ! bash scripts/lint.sh build-tidy; then
  problems+=("static checks (scripts/lint.sh)")
  failed=$((failed + 1))
fi

if [[ ${PGPHASE_SKIP_SANITIZE:-0} == 1 ]]; then
  section "sanitizers skipped (PGPHASE_SKIP_SANITIZE=1)"
else
  section "build (asan+ubsan)"
  # In batches of .cpp files (a unity build): each batch parses the headers and instantiates
  # the templates its files share once, which roughly halves this build. Each file outside
  # tests/ is read on its own by clang-tidy above.
  configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DPGPHASE_WERROR=ON -DPGPHASE_SANITIZE=ON -DCMAKE_UNITY_BUILD=ON

  section "test (asan+ubsan)"
  sanitizer_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
  # The unit tests in one process: started once per test, as ctest does, the sanitized binary
  # spends far longer starting and checking for leaks than testing.
  run_gtest build-asan/tests/pgphase_unit_tests "${sanitizer_env[@]}"
  # The Prisma corpus round trip takes 85 s under ASan, a fifth of this stage, and mostly
  # exercises PostgreSQL: the converter it drives runs under ASan on every corpus file in
  # ConvertCorpus, and the round trip itself runs in the plain stage above. The benchmark
  # scripts' test drives shell scripts and PostgreSQL, hardly pgphase: the plain stage only.
  run_ctest build-asan --exclude '^(ConvertRoundTrip|BenchScripts)\.' --exclude-label unit \
    "${sanitizer_env[@]}"
fi

finish
