#!/usr/bin/env bash
# Static checks, part of scripts/test.sh: every C++ file formatted per .clang-format, and
# clang-tidy (per .clang-tidy, warnings as errors) clean on planners/, orchestrator/ and tools/.
# Needs a configured (not necessarily built) plain build dir for compile_commands.json (default
# build/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
jobs=${PGPHASE_JOBS:-2}

# A unity build's compile commands are for its batches; clang-tidy would guess each file's own.
if grep -q '/Unity/unity_' "$build/compile_commands.json"; then
  echo "lint.sh: $build is a unity build (CMAKE_UNITY_BUILD); give a plain one" >&2
  exit 1
fi

mapfile -t all < <(git ls-files '*.cpp' '*.hpp')
echo "clang-format: ${#all[@]} files"
clang-format --dry-run --Werror "${all[@]}"

# clang-tidy 14 cannot parse C++20 coroutines against GCC 12's <coroutine> (Asio then hides
# co_spawn and awaitable), so files that use them are checked by the compiler's warnings only.
mapfile -t sources < <(git ls-files 'planners/*.cpp' 'orchestrator/*.cpp' 'tools/*.cpp' |
  grep -v -x -F -f <(git grep -l -e 'co_await' -- 'planners/*.cpp' 'orchestrator/*.cpp' 'tools/*.cpp'))
echo "clang-tidy: ${#sources[@]} files"
printf '%s\n' "${sources[@]}" |
  xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet --warnings-as-errors='*' 2>/dev/null
echo "static checks clean"
