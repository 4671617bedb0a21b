#!/bin/bash
# `npm run demo`: a real GNOME Shell 48 with the switcher extension and our
# service, in a window where an X display exists (DISPLAY), else headless, in
# two acts (tools/demo-in-shell.sh): demo guests on libvirt's test driver,
# then a real libvirtd of its own with two tiny QEMU guests switched
# full-screen, the launcher, and a new guest from Phyllome's model booting
# its installer. A screenshot of each step goes to .cache/artifacts/demo-*.png.
# Ctrl-C stops everything it started.
#   --no-wait   stop after the last screenshot
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
