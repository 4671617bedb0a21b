#!/bin/bash
# The service's tests on a second libvirt: those of its files that run a real
# libvirtd, run again with another Debian release's libvirtd, virtlogd,
# libvirt-dbus, QEMU, OVMF and swtpm — the root of the suite that test/shell/
# shells.txt marks "libvirt" (trixie: libvirt 11), built by build-rootfs.sh.
# The libvirt sandbox runs those programs chrooted in it (LIBVIRT_ROOT, see
# test/support/libvirtd-sandbox.sh); the tests, the service and its tools
# stay this host's. Every sandbox says which libvirtd it runs, and a test
# fails when it is not the root's (PHYLLOME_LIBVIRT, test/support/stack.ts).
#   test/libvirt/run.sh [--json DIR] [TEST FILES...]
# --json DIR: vitest's JSON results go to DIR/libvirt-SUITE.json.
# With no files: the ones below. What each printed: .cache/artifacts/libvirt-SUITE/.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
# shellcheck source=test/shell/shells.sh
source test/shell/shells.sh

JSON=()
if [[ ${1:-} == --json ]]; then
  JSON=("$2")
  shift 2
fi

# Every file whose tests run a real libvirtd + QEMU: it asks the stack for one
# (realLibvirtd) itself, or through a helper of test/support that does (the
# host-wide tests' host-wide.ts). They reach the QEMU driver, libvirt's domain
# capabilities (firmware, TPM), its storage pools, events and migration,
# which is where two releases differ. The files on libvirt's test driver are
# left to the host's libvirt: that driver lives in libvirt-dbus's process,
# and libvirt-dbus is 1.4.1 in both releases.
pattern=realLibvirtd
for helper in $(grep -l 'realLibvirtd: true' test/support/*.ts); do
  helper=${helper##*/}
  pattern+="|support/${helper%.ts}\\.js"
done
mapfile -t FILES < <(grep -lE "$pattern" test/service/*.test.ts)
[[ $# -gt 0 ]] && FILES=("$@")

SUITE=$(shells_rows | awk '{ for (i = 3; i <= NF; i++) if ($i == "libvirt") { print $2; exit } }')
[[ -n $SUITE ]] || { echo "test/shell/shells.txt marks no suite with libvirt" >&2; exit 2; }
# What a fresh machine lacks (tools/setup.sh does nothing when all is there).
bash tools/setup.sh
bash test/shell/build-rootfs.sh --suite "$SUITE"
ROOT=$(suite_root "$SUITE" "$REPO")
VERSION=$(chroot "$ROOT" dpkg-query -W -f='${Version}' libvirt-daemon)
VERSION=${VERSION#*:}
VERSION=${VERSION%%[-~+]*}
[[ -d build/extension ]] || npm run --silent build

export LIBVIRT_ROOT=$ROOT PHYLLOME_LIBVIRT=$VERSION
export PHYLLOME_ARTIFACTS=$REPO/.cache/artifacts/libvirt-$SUITE
echo "service tests on libvirt $VERSION ($SUITE's root, $ROOT)"
REPORT=()
[[ ${#JSON[@]} -gt 0 ]] && REPORT=(--reporter=default --reporter=json "--outputFile=${JSON[0]}/libvirt-$SUITE.json")
status=0
npx vitest run "${REPORT[@]}" "${FILES[@]}" || status=$?
echo "libvirt: ran on libvirt $VERSION ($SUITE): $([[ $status == 0 ]] && echo passed || echo FAILED)"
exit $status
