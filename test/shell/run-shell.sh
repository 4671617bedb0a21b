#!/usr/bin/env bash
# Run a real GNOME Shell (Wayland, software rendering), headless or in a
# window (--window), inside a Debian root file system made by
# build-rootfs.sh, run a test command ON THE HOST against it, then tear
# everything down and exit with that command's status. The Shell is the one
# asked for (--shell, 48 by default) or the run fails: the root must be that
# Shell's suite's, and the Shell that starts must say that version.
#
# Usage:
#   test/shell/run-shell.sh [options] -- CMD [ARGS...]
# Options:
#   --shell N         the GNOME Shell major version to run (default 48;
#                     test/shell/shells.txt says which Debian suite ships it)
#   --root DIR        root file system (default: $ROOT or that suite's
#                     <repo>/.cache/shell-rootfs-SUITE; must be built already:
#                     test/shell/build-rootfs.sh --shell N); must hold N's suite
#   --monitors N      number of 1280x800 monitors (default 1)
#   --window          show the Shell in a window on the caller's X display
#                     (gnome-shell --nested; N monitors side by side in one
#                     N*1280x800 window) instead of headless. Needs DISPLAY:
#                     mutter 48's nested backend is an X11 client, so on a
#                     Wayland desktop it uses its Xwayland (DISPLAY). With no
#                     usable DISPLAY, or in Shell 50 and later (mutter 50 has
#                     no --nested), it says so on stderr and runs headless.
#                     XAUTHORITY (or ~/.Xauthority) is copied into the run.
#   --bus-dir DIR     host dir for the bus sockets DIR/session and DIR/system
#                     (default: a private temp dir); bind-mounted at the same
#                     path inside, so host processes use unix:path=DIR/session
#   --data-home DIR   XDG_DATA_HOME of the Shell (default: private temp dir);
#                     extensions go in DIR/gnome-shell/extensions/UUID and are
#                     best put there BEFORE start (the Shell scans at startup)
#   --enable UUID     add UUID to org.gnome.shell enabled-extensions before
#                     start (repeatable)
#   --service 'CMD'   host shell command started in the background once the
#                     buses are up and BEFORE the Shell (e.g. the Node service,
#                     so the extension finds it on enable); gets the same
#                     environment as CMD; stopped with its children at
#                     teardown (repeatable)
#   --wait-name NAME  wait until NAME is owned on the session bus before
#                     starting the Shell (repeatable; pairs with --service)
#   --bind PATH       also bind-mount host PATH at the same path inside, e.g.
#                     /run/libvirt for virt-viewer (repeatable)
#   --log FILE        the Shell's stdout+stderr (default: temp file, whose tail
#                     is printed if the run fails)
#   --keep-overview   leave the overview open (the Shell starts in it)
#   --timeout SECS    how long to wait for the Shell to be ready (default 120)
#   --seat ID         the Shell's session is on seat ID (default seat0); with another
#                     seat, fake logind has two seats (seat0 and ID): multi-seat
#
# The login is as GNOME Shell 45+ gets it (run as a systemd user unit): no
# XDG_SEAT and no XDG_SESSION_ID in its environment, and fake logind (with
# test/support/logind-mock/logind_extras.py) answers NoSessionForPID for its
# PID; the session c1 (root's, on the seat, active) is its user's Display,
# where mutter, polkit and our service place it.
#
# CMD gets, besides the caller's environment:
#   DBUS_SESSION_BUS_ADDRESS=unix:path=BUS_DIR/session   (the Shell's bus)
#   SHELL_TEST_SYSTEM_BUS_ADDRESS=unix:path=BUS_DIR/system (fake system bus with
#                     python-dbusmock's logind; CMD's own system bus is untouched)
#   SHELL_TEST_ROOT, SHELL_TEST_NS_PID (holder of the private mount namespace),
#   SHELL_TEST_STATE (private dir, same path inside and out), SHELL_TEST_HOME,
#   SHELL_TEST_RUNTIME_DIR (XDG_RUNTIME_DIR; Wayland socket wayland-0 in it),
#   SHELL_TEST_DATA_HOME, SHELL_TEST_BUS_DIR, SHELL_TEST_LOG, SHELL_TEST_PID,
#   SHELL_TEST_VERSION (the running Shell's version, e.g. 50.5).
# Helpers for CMD (they read those variables): in-root.sh CMD (run a program
# inside the root next to the Shell, e.g. virt-viewer), shell-eval.sh JS,
# shell-screenshot.sh OUT.png.
#
# Teardown (on exit, error, INT, TERM): every process is stopped by PID: the
# ones started here, then any other process still in the private mount
# namespace (D-Bus-activated services, things CMD started with in-root.sh).
# All mounts live only in that namespace, so they vanish with its last process.
# Needs root (unshare, nsenter, chroot).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/shell/shells.sh
source "$HERE/shells.sh"

ROOT=${ROOT:-}
SHELL_MAJOR=48
MONITORS=1
BUS_DIR=
DATA_HOME=
LOG=
TIMEOUT=120
HIDE_OVERVIEW=1
WINDOW=0
SEAT=seat0
ENABLE=()
BINDS=()
SERVICES=()
WAIT_NAMES=()

die() { echo "run-shell: $*" >&2; exit 2; }
say() { printf '[run-shell %s] %s\n' "$(date +%T)" "$*" >&2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --root) ROOT=$2; shift 2 ;;
    --shell) SHELL_MAJOR=$2; shift 2 ;;
    --monitors) MONITORS=$2; shift 2 ;;
    --bus-dir) BUS_DIR=$2; shift 2 ;;
    --data-home) DATA_HOME=$2; shift 2 ;;
    --enable) ENABLE+=("$2"); shift 2 ;;
    --bind) BINDS+=("$2"); shift 2 ;;
    --service) SERVICES+=("$2"); shift 2 ;;
    --wait-name) WAIT_NAMES+=("$2"); shift 2 ;;
    --log) LOG=$2; shift 2 ;;
    --keep-overview) HIDE_OVERVIEW=0; shift ;;
    --window) WINDOW=1; shift ;;
    --seat) SEAT=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $# -gt 0 ]] || die "missing -- CMD"
CMD=("$@")
[[ $(id -u) == 0 ]] || die "must run as root"
[[ $MONITORS =~ ^[1-9][0-9]*$ ]] || die "--monitors wants a positive number"
SUITE=$(shell_suite "$SHELL_MAJOR")
[[ -n $SUITE ]] || die "no suite ships GNOME Shell $SHELL_MAJOR (test/shell/shells.txt: $(shells_all | tr '\n' ' '))"
ROOT=$(realpath -m "${ROOT:-$(suite_root "$SUITE" "$REPO")}")
STAMP=$ROOT/.phyllome-rootfs-stamp
[[ -f $STAMP ]] || die "$ROOT is not built: run test/shell/build-rootfs.sh --shell $SHELL_MAJOR"
# The root must be the asked-for Shell's: a run never tests another under its name.
HELD=$(sed -n 's/^suite=//p' "$STAMP")
[[ $HELD == "$SUITE" ]] ||
  die "$ROOT holds ${HELD:-an unknown suite}, not $SUITE (GNOME Shell $SHELL_MAJOR): build-rootfs.sh --shell $SHELL_MAJOR builds that"

# --window: mutter 48's --nested backend (MetaBackendX11Nested) opens an X
# display with Xlib and cannot use a Wayland socket, so WAYLAND_DISPLAY alone
# is not enough; a Wayland desktop's Xwayland sets DISPLAY as well. A local
# display (:N, unix:N) must have its socket in /tmp/.X11-unix.
if [[ $WINDOW == 1 ]]; then
  why=
  if [[ -z ${DISPLAY:-} ]]; then
    why="no DISPLAY"
    [[ -n ${WAYLAND_DISPLAY:-} ]] && why="WAYLAND_DISPLAY but no DISPLAY (the nested Shell is an X11 client: enable Xwayland)"
  elif [[ $DISPLAY =~ ^(unix)?:([0-9]+)(\.[0-9]+)?$ && ! -S /tmp/.X11-unix/X${BASH_REMATCH[2]} ]]; then
    why="DISPLAY=$DISPLAY has no socket /tmp/.X11-unix/X${BASH_REMATCH[2]}"
  fi
  # Mutter 50 dropped the nested backend (its --devkit needs PipeWire and mutter's devkit viewer).
  ((SHELL_MAJOR < 50)) || why="mutter $SHELL_MAJOR has no nested mode"
  if [[ -n $why ]]; then
    echo "run-shell: --window: $why; running headless" >&2
    WINDOW=0
  fi
fi

# Everything private to this run lives in STATE: home, runtime dir, defaults
# for bus dir / data home / log. /tmp inside the root is a fresh tmpfs, so
# creating the mount point for a /tmp path there leaves nothing on disk.
STATE=$(mktemp -d /tmp/phyllome-shell.XXXXXX)
HOME_DIR=$STATE/home
RUNTIME_DIR=$STATE/runtime
mkdir -p "$HOME_DIR/.config" "$HOME_DIR/.cache" "$HOME_DIR/.local/state"
mkdir -m 700 "$RUNTIME_DIR"
BUS_DIR=$(realpath -m "${BUS_DIR:-$STATE/bus}")
DATA_HOME=$(realpath -m "${DATA_HOME:-$HOME_DIR/.local/share}")
LOG_GIVEN=${LOG:+1}
LOG=$(realpath -m "${LOG:-$STATE/shell.log}")
mkdir -p "$BUS_DIR" "$DATA_HOME" "$(dirname "$LOG")"
: >"$LOG"
# Stale sockets from an earlier run would make dbus-daemon fail to bind.
for s in "$BUS_DIR/session" "$BUS_DIR/system"; do [[ -S $s ]] && rm -f "$s"; done
# The Shell shows a "Screen Lock disabled" notification once per data home
# unless this file already exists.
mkdir -p "$DATA_HOME/gnome-shell" && touch "$DATA_HOME/gnome-shell/lock-warning-shown"
# The X cookie is copied into STATE (mode 700, bound inside) rather than its
# own file bound: a bind of a path outside /tmp would leave a mount point
# file in the root on disk.
XAUTH=
if [[ $WINDOW == 1 ]]; then
  xa=${XAUTHORITY:-${HOME:-/root}/.Xauthority}
  if [[ -r $xa && -f $xa ]]; then XAUTH=$STATE/Xauthority; install -m 600 "$xa" "$XAUTH"; fi
fi

PIDS=()          # daemons started here, in start order
SERVICE_PIDS=()  # --service commands (host)
HOLDER=
NS=
CMD_PID=
RC=0

# Every process whose mount namespace is the private one, but the holder.
ns_pids() {
  local p
  [[ -n $NS ]] || return 0
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$HOLDER" ]] && continue
    [[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$NS" ]] && echo "${p#/proc/}"
  done
  return 0
}

# A host command may have children (npm -> node): collect the whole tree.
with_descendants() {
  local pid kid
  for pid in "$@"; do
    echo "$pid"
    for kid in $(ps -o pid= --ppid "$pid" 2>/dev/null); do with_descendants "$kid"; done
  done
}

alive() { # running and not a zombie (a zombie we cannot reap is dead enough)
  [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# TERM all, give them up to 5 s together, then KILL; reap our own children.
stop_pids() {
  local pid i any
  [[ $# -gt 0 ]] || return 0
  kill -TERM "$@" 2>/dev/null
  for i in $(seq 50); do
    any=
    for pid in "$@"; do alive "$pid" && { any=1; break; }; done
    [[ -z $any ]] && break
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null
  for pid in "$@"; do wait "$pid" 2>/dev/null; done
  return 0
}

teardown() {
  local rc=$? left i s tree
  trap - EXIT INT TERM HUP
  set +e
  [[ $RC != 0 ]] || RC=$rc
  # The test command and host services first, with their children.
  mapfile -t tree < <(with_descendants $CMD_PID "${SERVICE_PIDS[@]}")
  stop_pids "${tree[@]}"
  # The Shell before its buses, so it does not see them vanish.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pids "${PIDS[i]}"; done
  # Whatever else lives in the namespace (activated services, in-root.sh).
  for i in 1 2 3; do
    left=$(ns_pids)
    [[ -z $left ]] && break
    mapfile -t tree <<<"$left"
    stop_pids "${tree[@]}"
  done
  # Check: nothing left in the namespace (while the holder keeps it alive: once it is gone, the
  # kernel may give its number to a namespace of another run's QEMU), and nothing mounted under ROOT.
  left=$(ns_pids)
  if [[ -n $left ]]; then
    echo "run-shell: processes left behind:" >&2; ps -o pid,args -p "${left//$'\n'/,}" >&2; [[ $RC != 0 ]] || RC=1
  fi
  [[ -n $HOLDER ]] && stop_pids "$HOLDER"
  if awk -v r="$ROOT" '$5 == r || index($5, r "/") == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    echo "run-shell: mounts left under $ROOT" >&2; [[ $RC != 0 ]] || RC=1
  fi
  if [[ $RC != 0 && $RC != 129 && $RC != 130 && $RC != 143 && -z $LOG_GIVEN && -s $LOG ]]; then
    echo "run-shell: last lines of the Shell log:" >&2; tail -n 40 "$LOG" >&2
  fi
  for s in "$BUS_DIR/session" "$BUS_DIR/system"; do [[ -S $s ]] && rm -f "$s"; done
  rm -rf --one-file-system "$STATE"
  exit "$RC"
}
trap teardown EXIT
trap 'RC=130; exit 130' INT
trap 'RC=143; exit 143' TERM
trap 'RC=129; exit 129' HUP

# The mount namespace: a holder process (sleep) keeps it alive; all mounts are
# made inside it, so they disappear when the last process in it ends. Every
# process started here gets a parent-death signal (setpriv --pdeathsig), so
# even if this script is SIGKILLed they end, and with them the namespace.
BIND_PATHS=("$STATE" "$BUS_DIR" "$DATA_HOME")
# --window: the X sockets (the root's /tmp is a fresh tmpfs, so nothing is
# left on disk). Abstract and TCP X sockets need no bind: the network
# namespace is shared.
[[ $WINDOW == 1 && -d /tmp/.X11-unix ]] && BIND_PATHS+=(/tmp/.X11-unix)
for b in "${BINDS[@]}"; do BIND_PATHS+=("$(realpath "$b")"); done
# What masks a D-Bus activation file of the root: a service nobody asks for.
MASKED_SERVICE=$STATE/masked.service
printf '[D-BUS Service]\nName=me.phyllo.test.Masked\nExec=/bin/false\n' >"$MASKED_SERVICE"
export ROOT MASKED_SERVICE
setpriv --pdeathsig KILL -- unshare --mount --propagation private -- bash -euc '
  cd /
  mount -t proc proc "$ROOT/proc"
  mount -t sysfs -o ro sysfs "$ROOT/sys"
  mount --rbind /dev "$ROOT/dev"
  mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"
  mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
  # Where systemd-logind runs, it keeps its seats here, and the Shell talks
  # to logind (misc/loginManager.js) only where this folder is: else it takes
  # a dummy that never finds its session.
  mkdir -p "$ROOT/run/systemd/seats"
  # A root may carry libvirt-dbus (trixie'"'"'s does, for test/libvirt/run.sh):
  # its activation file would let the Shell'"'"'s buses start it when our
  # service asks for org.libvirt, and that one (reaching no libvirtd in the
  # root) would hold the name the tests'"'"' own libvirt-dbus needs. Masked here,
  # in this namespace only.
  if [[ -e $ROOT/usr/share/dbus-1/services/org.libvirt.service ]]; then
    mount --bind "$MASKED_SERVICE" "$ROOT/usr/share/dbus-1/services/org.libvirt.service"
  fi
  for p in "$@"; do
    if [[ -d $p ]]; then mkdir -p "$ROOT$p"; else mkdir -p "$(dirname "$ROOT$p")"; touch "$ROOT$p"; fi
    mount --bind "$p" "$ROOT$p"
  done
  exec sleep infinity
' ns-holder "${BIND_PATHS[@]}" &
HOLDER=$!
# Wait for the holder to have entered its own namespace and done its mounts.
for i in $(seq 100); do
  n=$(readlink "/proc/$HOLDER/ns/mnt" 2>/dev/null || true)
  [[ -n $n && $n != "$(readlink /proc/self/ns/mnt)" && $(readlink "/proc/$HOLDER/exe" 2>/dev/null) == */sleep ]] && break
  kill -0 "$HOLDER" 2>/dev/null || die "mount namespace setup failed"
  sleep 0.05
done
NS=$(readlink "/proc/$HOLDER/ns/mnt")

SESSION_ADDR=unix:path=$BUS_DIR/session
SYSTEM_ADDR=unix:path=$BUS_DIR/system
INNER_ENV=(
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  HOME="$HOME_DIR" USER=root LOGNAME=root LANG=C.UTF-8
  XDG_RUNTIME_DIR="$RUNTIME_DIR" XDG_DATA_HOME="$DATA_HOME"
  XDG_CONFIG_HOME="$HOME_DIR/.config" XDG_CACHE_HOME="$HOME_DIR/.cache"
  XDG_STATE_HOME="$HOME_DIR/.local/state"
  XDG_SESSION_TYPE=wayland XDG_CURRENT_DESKTOP=GNOME XDG_SESSION_DESKTOP=gnome
  DBUS_SESSION_BUS_ADDRESS="$SESSION_ADDR" DBUS_SYSTEM_BUS_ADDRESS="$SYSTEM_ADDR"
  # GTK 4 apps of the session (the preferences, activated by the session bus
  # with this environment) show their widgets on the accessibility bus, which
  # the session bus starts (org.a11y.Bus, at-spi2-core in the root): the
  # tests read them there (test/e2e/atspi.ts). The Shell and GTK 3 apps
  # (virt-viewer) stay off it: ATK's bridge is not loaded.
  NO_AT_BRIDGE=1
)
# For in-root.sh: the same environment plus the Shell's Wayland display.
printf '%s\n' "${INNER_ENV[@]}" WAYLAND_DISPLAY=wayland-0 GDK_BACKEND=wayland >"$STATE/inner.env"
# setpriv, nsenter (mount ns only) and chroot exec, so $! after `inroot ... &` is the
# PID of the program itself.
# (A simple command, not a function: `func &` would fork a subshell first.)
INROOT=(setpriv --pdeathsig TERM -- nsenter --target "$HOLDER" --mount -- chroot "$ROOT" /usr/bin/env -i "${INNER_ENV[@]}")
inroot() { "${INROOT[@]}" "$@"; }
gdbus_in() { inroot gdbus call --timeout 10 "$@"; }
start() { "${INROOT[@]}" "$@" & PIDS+=($!); }

wait_socket() {
  local i
  for i in $(seq 100); do [[ -S $1 ]] && return 0; sleep 0.05; done
  die "no socket $1"
}

# The private buses run inside the root so that D-Bus activation (dconf,
# org.gnome.Shell.Extensions, ...) finds the root's services. The session
# config is used for the "system" bus too: it has no restrictive policy.
start dbus-daemon --session --nofork --nopidfile --address="$SYSTEM_ADDR" </dev/null >>"$LOG" 2>&1
start dbus-daemon --session --nofork --nopidfile --address="$SESSION_ADDR" </dev/null >>"$LOG" 2>&1
wait_socket "$BUS_DIR/system"
wait_socket "$BUS_DIR/session"

# Fake logind with one active session c1 of root on the Shell's seat, its
# user's Display (see the top); fake polkitd answers the Shell's permission
# checks. Both log every call they get to LOG. logind's completion
# (logind_extras.py) is imported by the mock from a copy in STATE.
cp -r "$REPO/test/support/logind-mock" "$STATE/logind-mock"
LOGIND_PY=(env PYTHONPATH="$STATE/logind-mock" PYTHONDONTWRITEBYTECODE=1)
start "${LOGIND_PY[@]}" python3 -m dbusmock --system --template logind </dev/null >>"$LOG" 2>&1
start python3 -m dbusmock --system --template polkitd </dev/null >>"$LOG" 2>&1
for name in org.freedesktop.login1 org.freedesktop.PolicyKit1; do
  for i in $(seq 100); do
    gdbus_in --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
      --method org.freedesktop.DBus.NameHasOwner "$name" 2>/dev/null | grep -q true && break
    [[ $i == 100 ]] && die "fake $name did not start"
    sleep 0.1
  done
done
# seat0 (and --seat's), and root's graphical session c1 on the Shell's seat.
inroot "${LOGIND_PY[@]}" python3 "$STATE/logind-mock/logind_extras.py" login "$SEAT" 0 root >>"$LOG" 2>&1 ||
  die "fake logind could not be set up (log: $LOG)"

# Environment of --service commands and CMD (host side).
export DBUS_SESSION_BUS_ADDRESS=$SESSION_ADDR
export SHELL_TEST_SYSTEM_BUS_ADDRESS=$SYSTEM_ADDR
export SHELL_TEST_ROOT=$ROOT SHELL_TEST_NS_PID=$HOLDER SHELL_TEST_STATE=$STATE
export SHELL_TEST_HOME=$HOME_DIR SHELL_TEST_RUNTIME_DIR=$RUNTIME_DIR
export SHELL_TEST_DATA_HOME=$DATA_HOME SHELL_TEST_BUS_DIR=$BUS_DIR
export SHELL_TEST_LOG=$LOG

for svc in "${SERVICES[@]}"; do
  bash -c "$svc" </dev/null &
  SERVICE_PIDS+=($!)
done
deadline=$(($(date +%s) + TIMEOUT))
for name in "${WAIT_NAMES[@]}"; do
  until gdbus_in --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
      --method org.freedesktop.DBus.NameHasOwner "$name" 2>/dev/null | grep -q true; do
    (($(date +%s) < deadline)) || die "$name did not appear on the session bus"
    for pid in "${SERVICE_PIDS[@]}"; do alive "$pid" || die "--service (pid $pid) exited before $name appeared"; done
    sleep 0.1
  done
done

# Settings go to a dconf database in the private home, so every run starts
# from the package defaults plus these: user extensions allowed, the
# extensions to enable, no first-login welcome tour, no animations (faster,
# and screenshots do not catch a transition half-way).
list=
[[ ${#ENABLE[@]} -gt 0 ]] && list=$(printf "'%s', " "${ENABLE[@]}")
inroot dconf load / <<EOF
[org/gnome/shell]
disable-user-extensions=false
enabled-extensions=@as [${list%, }]
welcome-dialog-last-shown-version='999'

[org/gnome/desktop/interface]
enable-animations=false
EOF

# Headless: virtual monitors. Window: the nested backend's dummy monitors,
# set through mutter's debug variables; the outer display reaches only the
# Shell (not inner.env), so apps started with in-root.sh still open in it.
SHELL_ENV=()
if [[ $WINDOW == 1 ]]; then
  SHELL_ARGS=(--nested --unsafe-mode --wayland --no-x11)
  SHELL_ENV=(DISPLAY="$DISPLAY" MUTTER_DEBUG_NUM_DUMMY_MONITORS="$MONITORS"
    MUTTER_DEBUG_DUMMY_MODE_SPECS=1280x800)
  [[ -n $XAUTH ]] && SHELL_ENV+=(XAUTHORITY="$XAUTH")
else
  SHELL_ARGS=(--headless --unsafe-mode --wayland --no-x11)
  for ((i = 0; i < MONITORS; i++)); do SHELL_ARGS+=(--virtual-monitor 1280x800); done
fi
T0=$(date +%s%N)
start "${SHELL_ENV[@]}" gnome-shell "${SHELL_ARGS[@]}" </dev/null >>"$LOG" 2>&1
SHELL_PID=${PIDS[-1]}

shell_eval() {
  gdbus_in --session --dest org.gnome.Shell --object-path /org/gnome/Shell \
    --method org.gnome.Shell.Eval "$1" 2>/dev/null
}

# Ready = the Shell's startup (incl. the startup animation into the
# overview) is complete; it must then be the Shell asked for, by the version
# it was built as and by the one it announces on the bus.
deadline=$(($(date +%s) + TIMEOUT))
until BUILT=$(shell_eval 'Main.layoutManager._startingUp === false && Config.PACKAGE_VERSION' 2>/dev/null) &&
    [[ $BUILT == "(true, '\""* ]]; do
  kill -0 "$SHELL_PID" 2>/dev/null || die "gnome-shell exited during startup (log: $LOG)"
  (($(date +%s) < deadline)) || die "gnome-shell not ready after ${TIMEOUT}s (log: $LOG)"
  sleep 0.2
done
BUILT=${BUILT#*\"}
BUILT=${BUILT%%\"*}
VERSION=$(gdbus_in --session --dest org.gnome.Shell --object-path /org/gnome/Shell \
  --method org.freedesktop.DBus.Properties.Get org.gnome.Shell ShellVersion)
VERSION=${VERSION#*\'}
VERSION=${VERSION%%\'*}
if [[ ${BUILT%%.*} != "$SHELL_MAJOR" || $VERSION != "$BUILT" ]]; then
  die "asked for GNOME Shell $SHELL_MAJOR, but the Shell in $ROOT is $BUILT (ShellVersion '$VERSION')"
fi

# Leave the start-up overview, and drop the "Logged in as a privileged user"
# notification (we run as root) so screenshots show a plain desktop.
if [[ $HIDE_OVERVIEW == 1 ]]; then
  shell_eval 'Main.overview.hide(); true' >/dev/null
  for i in $(seq 40); do
    shell_eval 'Main.overview.visible' | grep -q "'false'" && break
    sleep 0.1
  done
fi
shell_eval 'Main.messageTray.getSources().forEach(s => s.destroy()); true' >/dev/null
ms=$((($(date +%s%N) - T0) / 1000000))
mode=headless; [[ $WINDOW == 1 ]] && mode="in a window on $DISPLAY"
say "GNOME Shell $VERSION ($mode, $SUITE) ready $((ms / 1000)).$((ms % 1000 / 100)) s after start"

export SHELL_TEST_PID=$SHELL_PID SHELL_TEST_VERSION=$VERSION

# Run CMD in the background and wait, so INT/TERM reach our trap at once;
# `<&0` keeps the caller's stdin (a background job would get /dev/null).
"${CMD[@]}" <&0 &
CMD_PID=$!
wait "$CMD_PID" || RC=$?
CMD_PID=
exit "$RC"
