#!/bin/bash
# The end-to-end suite in one GNOME Shell: builds the extension and (cached)
# the Debian root of that Shell (test/shell/shells.txt), installs the
# extension into a private data home, enables it, starts the Shell headless
# and runs test/e2e against it.
#   test/shell/run-e2e.sh [--shell N] [--json DIR] [TEST FILES...]
# --shell N: GNOME Shell N (default 48); the run fails if the Shell that
# starts is another (run-shell.sh, and test/e2e/shell-version.e2e.test.ts).
# --json DIR: also write vitest's JSON results there, e2e-RUN-N.json per run.
# Artifacts (screenshots, the Shells' logs, what test daemons printed) land
# in .cache/artifacts/shell-N/.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
# shellcheck source=test/shell/shells.sh
source "$HERE/shells.sh"

SHELL_MAJOR=48
JSON=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --shell) SHELL_MAJOR=$2; shift 2 ;;
    --json) JSON=("$2"); shift 2 ;;
    *) break ;;
  esac
done
json_for() { [[ ${#JSON[@]} -gt 0 ]] && echo --reporter=default --reporter=json "--outputFile=${JSON[0]}/e2e-$1-$SHELL_MAJOR.json"; }

# What a fresh machine lacks (tools/setup.sh does nothing when all is there).
bash tools/setup.sh
"$HERE/build-rootfs.sh" --shell "$SHELL_MAJOR"
[[ -d build/extension/switcher@phyllo.me ]] || npm run --silent build

# One folder per Shell, so runs in several Shells side by side keep apart
# what each wrote; the tests and their process logs write there too.
ART=$REPO/.cache/artifacts/shell-$SHELL_MAJOR
mkdir -p "$ART"
export PHYLLOME_ARTIFACTS=$ART
# What the tests compare the Shell they run in with.
export PHYLLOME_SHELL=$SHELL_MAJOR
WORK=$(mktemp -d /tmp/phyllome-e2e.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT
mkdir -p "$WORK/data/gnome-shell/extensions"
cp -r build/extension/switcher@phyllo.me "$WORK/data/gnome-shell/extensions/"
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
  "$HERE/run-shell.sh" --shell "$SHELL_MAJOR" --monitors 2 --data-home "$WORK/data" --enable switcher@phyllo.me --log "$ART/e2e-shell.log" \
    -- npx vitest run --config vitest.e2e.config.ts --exclude 'test/e2e/seat1/**' $(json_for main) "$@" || status=$?
  shell_log_check "$ART/e2e-shell.log"
fi
if want seat1 "$@"; then
  # Multi-seat: this Shell's session is on seat1 of two (test/e2e/seat1/).
  rm -rf "$WORK/data-seat1" && mkdir -p "$WORK/data-seat1/gnome-shell/extensions"
  cp -r build/extension/switcher@phyllo.me "$WORK/data-seat1/gnome-shell/extensions/"
  # shellcheck disable=SC2046
  "$HERE/run-shell.sh" --shell "$SHELL_MAJOR" --seat seat1 --data-home "$WORK/data-seat1" --enable switcher@phyllo.me --log "$ART/e2e-seat1-shell.log" \
    -- npx vitest run --config vitest.e2e.config.ts $(json_for seat1) test/e2e/seat1/ || status=$?
  shell_log_check "$ART/e2e-seat1-shell.log"
fi
version=$(sed -n 's/^shell=//p' "${ROOT:-$(suite_root "$(shell_suite "$SHELL_MAJOR")" "$REPO")}/.phyllome-rootfs-stamp")
echo "e2e: ran in GNOME Shell $version ($(shell_suite "$SHELL_MAJOR")): $([[ $status == 0 ]] && echo passed || echo FAILED)"
exit $status
