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

# --json DIR: also write vitest's JSON results there, one file per Shell run.
JSON=()
json_for() { [[ ${#JSON[@]} -gt 0 ]] && echo --reporter=default --reporter=json "--outputFile=${JSON[0]}/e2e-$1.json"; }
if [[ ${1:-} == --json ]]; then
  JSON=("$2")
  shift 2
fi
# Arguments naming test files pick the runs they belong to; none: both runs.
want() {
  local run=$1 arg
  [[ $# -eq 1 ]] && return 0
  shift
  for arg in "$@"; do
    [[ $arg == -* ]] && continue
    if [[ $run == seat1 && $arg == *seat1* ]] || [[ $run == main && $arg != *seat1* ]]; then return 0; fi
  done
  return 1
}
status=0
# A run fails on any Gjs critical or JS error in its Shell's log that is not the Shell's own
# (by its stack; test/shell/shell-log-problems.mjs prints each).
shell_log_check() { node "$HERE/shell-log-problems.mjs" "$1" || status=1; }
if want main "$@"; then
  # Two monitors: guests are assigned one each (test/e2e/switching.e2e.test.ts).
  # shellcheck disable=SC2046
  "$HERE/run-shell.sh" --monitors 2 --data-home "$WORK/data" --enable switcher@phyllo.me --log "$ART/e2e-shell.log" \
    -- npx vitest run --config vitest.e2e.config.ts --exclude 'test/e2e/seat1/**' $(json_for main) "$@" || status=$?
  shell_log_check "$ART/e2e-shell.log"
fi
if want seat1 "$@"; then
  # Multi-seat: this Shell's session is on seat1 of two (test/e2e/seat1/).
  rm -rf "$WORK/data-seat1" && mkdir -p "$WORK/data-seat1/gnome-shell/extensions"
  cp -r build/extension/switcher@phyllo.me "$WORK/data-seat1/gnome-shell/extensions/"
  # shellcheck disable=SC2046
  "$HERE/run-shell.sh" --seat seat1 --data-home "$WORK/data-seat1" --enable switcher@phyllo.me --log "$ART/e2e-seat1-shell.log" \
    -- npx vitest run --config vitest.e2e.config.ts $(json_for seat1) test/e2e/seat1/ || status=$?
  shell_log_check "$ART/e2e-seat1-shell.log"
fi
exit $status
