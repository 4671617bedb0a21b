#!/usr/bin/env bash
# Save a PNG of the whole Shell stage (all monitors, top bar included) to OUT
# on the host, through org.gnome.Shell.Screenshot (allowed for any caller
# because run-shell.sh uses --unsafe-mode).
#   test/shell/shell-screenshot.sh .cache/artifacts/x.png
# The Shell writes into the run's state dir (same path inside and outside the
# root), then the file is moved to OUT.
set -euo pipefail
[[ $# == 1 ]] || { echo "usage: shell-screenshot.sh OUT.png" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SHELL_TEST_STATE:?not inside run-shell.sh}"
OUT=$(realpath -m "$1")
TMP=$SHELL_TEST_STATE/shot-$$-$RANDOM.png
"$HERE/in-root.sh" gdbus call --timeout 30 --session --dest org.gnome.Shell.Screenshot \
  --object-path /org/gnome/Shell/Screenshot --method org.gnome.Shell.Screenshot.Screenshot \
  false false "$TMP" | grep -q '^(true,' || { echo "screenshot failed" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
mv -f "$TMP" "$OUT"
