#!/bin/bash
# The end-to-end suite: builds the extension and (cached) the Debian 13 root
# with GNOME Shell 48, installs the extension into a private data home,
# enables it, starts the Shell headless and runs test/e2e against it.
# Artifacts (screenshots, the Shell's log) land in .cache/artifacts.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

"$HERE/build-rootfs.sh"
[[ -d build/extension/switcher@phyllo.me ]] || npm run --silent build

ART=$REPO/.cache/artifacts
mkdir -p "$ART"
WORK=$(mktemp -d /tmp/phyllome-e2e.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT
mkdir -p "$WORK/data/gnome-shell/extensions"
cp -r build/extension/switcher@phyllo.me "$WORK/data/gnome-shell/extensions/"

# Two monitors: guests are assigned one each (test/e2e/switching.e2e.test.ts).
"$HERE/run-shell.sh" --monitors 2 --data-home "$WORK/data" --enable switcher@phyllo.me --log "$ART/e2e-shell.log" \
  -- npx vitest run --config vitest.e2e.config.ts "$@"
