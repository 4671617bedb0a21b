#!/bin/bash
# `npm test`: the one command that sets up a fresh Debian machine and runs
# every suite — lint, type checks, unit tests, the service against
# libvirt-dbus's test driver and a real libvirtd + QEMU guest, then the
# extension end to end in a real GNOME Shell 48 (its Debian 13 root is built
# once and cached in .cache/). Extra arguments go to the first vitest run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh
npm run --silent build
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$results/main.json" "$@" || status=$?
bash test/shell/run-e2e.sh --json "$results" || status=$?

# One closing line over both runs, in the plain form CI reads.
node -e '
  let passed = 0, failed = 0;
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
      passed += r.numPassedTests; failed += r.numFailedTests + (r.numFailedTestSuites ?? 0);
    } catch { failed += 1; console.log(`no results in ${file}`); }
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$results/main.json" "$results/e2e-main.json" "$results/e2e-seat1.json"
exit $status
