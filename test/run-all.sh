#!/bin/bash
# `npm test`: the one command that sets up a fresh Debian machine and runs
# every suite — lint, type checks, unit tests, the service against
# libvirt-dbus's test driver and a real libvirtd + QEMU guest, the
# real-libvirtd service tests again on a second libvirt (trixie's 11, from
# its root: test/libvirt/run.sh), then the extension end to end in every
# GNOME Shell of test/shell/shells.txt (48, 50 and 51; their Debian roots
# built once and cached in .cache/), and every benchmark once in its smoke
# mode. Extra arguments go to the first vitest run.
# The Shells' roots build side by side while the first suites run. E2E_JOBS
# (default 1): how many Shells' e2e runs go side by side; on 2 cores shared
# with other work, two at once made the load test's stall bound (250 ms) fail.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=test/shell/shells.sh
source test/shell/shells.sh

bash tools/setup.sh

results=$(mktemp -d)
# Background runs, each in a process group of its own (setsid) so that a
# stop reaches all of it (run-shell.sh's teardown included): group leader
# PIDs not yet waited for.
declare -A running_groups
background() { setsid "$@" & running_groups[$!]=1; LAST=$!; }
reap() { local rc=0; wait "$1" || rc=$?; unset "running_groups[$1]"; return $rc; }
cleanup() {
  local pid
  for pid in "${!running_groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${!running_groups[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$results"
}
trap cleanup EXIT
status=0
ts() { date +%T; }

# Every Shell's root (cached; a fresh one is mostly download and unpacking)
# builds while the first suites run.
declare -A root_job
for shell in $(shells_all); do
  background bash test/shell/build-rootfs.sh --shell "$shell" >"$results/rootfs-$shell.log" 2>&1
  root_job[$shell]=$LAST
done

npm run --silent build
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

echo "[$(ts)] the service and the unit tests, on this host's libvirt"
npx vitest run --reporter=default --reporter=json --outputFile="$results/main.json" "$@" || status=$?

# The harness's own tests (test/harness), apart: their count is not the product's.
echo "[$(ts)] the test harness's own tests"
npx vitest run --config vitest.harness.config.ts --reporter=default --reporter=json \
  --outputFile="$results/harness.json" || status=$?

declare -A root_ok
for shell in $(shells_all); do
  if reap "${root_job[$shell]}"; then root_ok[$shell]=1; else status=1; fi
  cat "$results/rootfs-$shell.log"
done

LIBVIRT_SUITE=$(shells_rows | awk '{ for (i = 3; i <= NF; i++) if ($i == "libvirt") { print $2; exit } }')
echo "[$(ts)] the real-libvirtd service tests on $LIBVIRT_SUITE's libvirt"
if [[ -n ${root_ok[$(suite_shell "$LIBVIRT_SUITE")]:-} ]]; then
  bash test/libvirt/run.sh --json "$results" || status=$?
fi

# The e2e suite in each Shell, E2E_JOBS at a time; each run's output is
# printed whole when it ends.
declare -A e2e_job
running=()
finish() { # waits for the oldest e2e run still going, prints it
  local shell=${running[0]} rc=0
  reap "${e2e_job[$shell]}" || rc=$?
  echo "[$(ts)] ---- e2e in GNOME Shell $shell (exit $rc) ----"
  cat "$results/e2e-$shell.out"
  running=("${running[@]:1}")
  ((rc == 0)) || status=1
}
for shell in $(shells_all); do
  [[ -n ${root_ok[$shell]:-} ]] || continue
  ((${#running[@]} < ${E2E_JOBS:-1})) || finish
  echo "[$(ts)] e2e in GNOME Shell $shell starts"
  background bash test/shell/run-e2e.sh --shell "$shell" --json "$results" >"$results/e2e-$shell.out" 2>&1
  e2e_job[$shell]=$LAST
  running+=("$shell")
done
while ((${#running[@]} > 0)); do finish; done

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

# One closing line over every run, in the plain form CI reads; for each file
# that failed, the end of what its daemons printed (CI keeps nothing else to read).
BENCH_FAILED=$bench_failed node -e '
  const fs = require("fs"), path = require("path");
  const failedFiles = [];
  const tally = (files) => {
    let passed = 0, failed = 0;
    for (const file of files) {
      try {
        const r = JSON.parse(fs.readFileSync(file, "utf8"));
        passed += r.numPassedTests;
        for (const result of r.testResults) {
          const failures = result.assertionResults.filter((a) => a.status === "failed").length;
          // A file that failed outside its tests (its setup) counts once.
          if (result.status === "failed") { failed += Math.max(failures, 1); failedFiles.push([file, result]); }
        }
      } catch { failed += 1; console.log(`no results in ${file}`); }
    }
    return [passed, failed];
  };
  // The first file holds the tests of the harness: counted apart, so that the last line counts the product.
  const [harness, ...product] = process.argv.slice(1);
  const [harnessPassed, harnessFailed] = tally([harness]);
  let [passed, failed] = tally(product);
  // Each run keeps what its processes printed in its own artifacts folder (test/support/artifacts.ts).
  const folder = (file) => {
    const run = path.basename(file, ".json");
    const shell = /^e2e-\w+-(\d+)$/.exec(run);
    if (shell) return `.cache/artifacts/shell-${shell[1]}`;
    if (run.startsWith("libvirt-")) return `.cache/artifacts/${run}`;
    return ".cache/artifacts";
  };
  for (const [file, { name }] of failedFiles) {
    const log = path.join(folder(file), "process-output", `${path.basename(name)}.log`);
    if (!fs.existsSync(log)) continue;
    console.log(`\n---- ${log}: the last 60 lines of each process ----`);
    for (const section of fs.readFileSync(log, "utf8").split(/^(?===== )/m)) {
      const [title, ...lines] = section.trimEnd().split("\n");
      console.log([title, ...lines.slice(-60)].join("\n"));
    }
  }
  // Last, where a reader of the end alone sees them: which tests failed, in which run, and why in a line.
  for (const [file, result] of failedFiles) {
    const run = path.basename(file, ".json");
    const failures = result.assertionResults.filter((a) => a.status === "failed");
    if (failures.length === 0) console.log(`FAILED [${run}] ${path.relative(process.cwd(), result.name)}: ${(result.message || "").split("\n")[0]}`);
    for (const a of failures) {
      const why = (a.failureMessages[0] || "").split("\n")[0].slice(0, 300);
      console.log(`FAILED [${run}] ${path.relative(process.cwd(), result.name)} > ${a.fullName}: ${why}`);
    }
  }
  // The bench smoke run counts as one test.
  if (process.env.BENCH_FAILED === "1") { failed += 1; console.log("the bench smoke run failed"); } else passed += 1;
  console.log(`the test harness: ${harnessPassed} passed, ${harnessFailed} failed`);
  // Bare, alone on the last line: the plain form CI reads for its count (of the product alone).
  console.log(`${passed} passed, ${failed} failed`);
' "$results/harness.json" "$results/main.json" "$results/libvirt-$LIBVIRT_SUITE.json" \
  $(for shell in $(shells_all); do echo "$results/e2e-main-$shell.json $results/e2e-seat1-$shell.json"; done)
exit $status
