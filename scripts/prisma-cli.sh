#!/usr/bin/env bash
# Installs a pinned Prisma CLI from the npm registry for the optional end-to-end test and prints
# the path of its `prisma` executable:  PGPHASE_PRISMA_CLI=$(scripts/prisma-cli.sh) ctest -R Prisma
# Prisma 6's JavaScript schema engine (prisma.config.ts with engine 'js' and @prisma/adapter-pg)
# runs from the npm packages alone; the test points the native engine paths at a dummy file, so
# nothing is fetched from Prisma's binary host, which CI cannot rely on.
set -euo pipefail

dir=${1:-build/prisma-cli}
mkdir -p "$dir"
if [[ ! -x $dir/node_modules/.bin/prisma || ! -d $dir/node_modules/@prisma/client ]]; then
    (
        cd "$dir"
        [[ -f package.json ]] || npm init -y >/dev/null
        npm install --no-audit --no-fund --ignore-scripts \
            prisma@6.19.3 @prisma/client@6.19.3 @prisma/adapter-pg@6.19.3 pg@8.23.1 >&2
    )
fi
# Not realpath: the test finds node_modules from this path, and .bin/prisma is a symlink.
echo "$(cd "$dir" && pwd)/node_modules/.bin/prisma"
