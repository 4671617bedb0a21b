#!/bin/bash
# `npm run demo`: the whole thing on libvirt's test driver — a real GNOME
# Shell 48 with the switcher extension, our service and a few demo guests —
# in a window where an X display exists (DISPLAY), else
# headless — writing a screenshot of the open menu to .cache/artifacts/.
# Ctrl-C stops everything it started.
#   --no-wait   take the screenshot, then stop
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh >&2
npm run --silent build >&2
bash test/shell/build-rootfs.sh >&2

work=$(mktemp -d /tmp/phyllome-demo.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/data/gnome-shell/extensions" .cache/artifacts
cp -r build/extension/switcher@phyllo.me "$work/data/gnome-shell/extensions/"

# --window: in a window on the caller's X display when there is one, headless otherwise.
bash test/shell/run-shell.sh --window --data-home "$work/data" --enable switcher@phyllo.me --log .cache/artifacts/demo-shell.log \
  -- bash tools/demo-in-shell.sh "${1:-}"
