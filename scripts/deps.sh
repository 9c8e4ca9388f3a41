#!/usr/bin/env bash
# Installs every Debian package that pgphase's build, tests and demo need; with --test, also
# the tools only the tests use (a headless browser for the status page, promtool for the
# metrics, gnuplot and time for the benchmark scripts' test). Only touches apt when something
# is missing; silent when all is present.
set -euo pipefail

# The one list of required packages: add new dependencies here.
PACKAGES=(
  cmake g++ make pkg-config
  libpqxx-dev libpq-dev
  libboost-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libpg-query-dev libcli11-dev nlohmann-json3-dev
  postgresql postgresql-contrib
  procps util-linux
  clang-format clang-tidy git
)

# Test tools: users of pgphase never need them (gnuplot: bench-backfill.sh --plot's test).
if [[ ${1:-} == --test ]]; then
  PACKAGES+=(chromium prometheus gnuplot-nox time)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ $status != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "deps.sh: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

echo "deps.sh: installing ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends -q -o Dpkg::Use-Pty=0 "${missing[@]}"
