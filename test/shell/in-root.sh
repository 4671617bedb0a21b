#!/usr/bin/env bash
# Run CMD inside the root file system, next to the Shell started by
# run-shell.sh (same mount namespace, buses, XDG dirs, Wayland display), e.g.
#   test/shell/in-root.sh virt-viewer -c qemu:///system --attach GUEST &
# Only valid inside run-shell.sh's CMD (reads the SHELL_TEST_* variables).
# Whatever it starts is stopped by run-shell.sh's teardown, which sweeps the
# namespace by PID. nsenter and chroot exec, so `in-root.sh X &` gives X's PID.
set -euo pipefail
: "${SHELL_TEST_NS_PID:?not inside run-shell.sh}" "${SHELL_TEST_ROOT:?}" "${SHELL_TEST_STATE:?}"
[[ $# -gt 0 ]] || { echo "usage: in-root.sh CMD [ARGS...]" >&2; exit 2; }
mapfile -t ENVV <"$SHELL_TEST_STATE/inner.env"
# G_MESSAGES_DEBUG passes through: our service reads virt-viewer's debug messages.
[[ -n ${G_MESSAGES_DEBUG:-} ]] && ENVV+=("G_MESSAGES_DEBUG=$G_MESSAGES_DEBUG")
exec nsenter --target "$SHELL_TEST_NS_PID" --mount -- \
  chroot "$SHELL_TEST_ROOT" /usr/bin/env -i "${ENVV[@]}" "$@"
