#!/bin/bash
# `npm test`: the one command that sets up a fresh Debian machine and runs
# every suite — lint, unit, the service against libvirt-dbus's test driver
# and a real libvirtd + QEMU guest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh
npm run --silent build
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx vitest run "$@"
