#!/bin/bash
# `npm test`: the one command that sets up a fresh Debian machine and runs
# every suite — lint, type checks, unit tests, the service against
# libvirt-dbus's test driver and a real libvirtd + QEMU guest, then the
# extension end to end in a real GNOME Shell 48 (its Debian 13 root is built
# once and cached in .cache/), and every benchmark once in its smoke mode.
# Extra arguments go to the first vitest run.
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
# Every benchmark once, at tiny sizes and with nothing checked (bench/mode.ts), so that one that no
# longer runs fails here; in a temporary folder of its own, which it must leave empty as tests do.
bench_tmp=$(mktemp -d /tmp/phyllome-bench-smoke.XXXXXX)
chmod 1777 "$bench_tmp"
bench_failed=0
TMPDIR=$bench_tmp node build/bench/run.js --smoke || bench_failed=1
if [[ -n $(ls -A "$bench_tmp") ]]; then
  echo "the bench smoke run left in its temporary folder: $(ls -A "$bench_tmp" | tr '\n' ' ')"
  bench_failed=1
fi
rm -rf --one-file-system "$bench_tmp"
[[ $bench_failed == 0 ]] || status=1

# One closing line over both runs, in the plain form CI reads; for each file that
# failed, the end of what its daemons printed (CI keeps nothing else to read).
BENCH_FAILED=$bench_failed node -e '
  const fs = require("fs"), path = require("path");
  let passed = 0, failed = 0;
  const failedFiles = [];
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(fs.readFileSync(file, "utf8"));
      passed += r.numPassedTests;
      for (const result of r.testResults) {
        const failures = result.assertionResults.filter((a) => a.status === "failed").length;
        // A file that failed outside its tests (its setup) counts once.
        if (result.status === "failed") { failed += Math.max(failures, 1); failedFiles.push(result.name); }
      }
    } catch { failed += 1; console.log(`no results in ${file}`); }
  }
  for (const name of failedFiles) {
    const log = path.join(".cache/artifacts/process-output", `${path.basename(name)}.log`);
    if (!fs.existsSync(log)) continue;
    console.log(`\n---- ${log}: the last 60 lines of each process ----`);
    for (const section of fs.readFileSync(log, "utf8").split(/^(?===== )/m)) {
      const [title, ...lines] = section.trimEnd().split("\n");
      console.log([title, ...lines.slice(-60)].join("\n"));
    }
  }
  // The bench smoke run counts as one test.
  if (process.env.BENCH_FAILED === "1") { failed += 1; console.log("the bench smoke run failed"); } else passed += 1;
  // Bare, alone on the last line: the plain form CI reads for its count.
  console.log(`${passed} passed, ${failed} failed`);
' "$results/main.json" "$results/e2e-main.json" "$results/e2e-seat1.json"
exit $status
