#!/usr/bin/env bash
# Build (once, cached) a Debian root file system that holds a real GNOME
# Shell, for test/shell/run-shell.sh: one root per Debian suite, each in its
# own folder with its own stamp (test/shell/shells.txt: which suite ships
# which Shell).
#
# Usage: test/shell/build-rootfs.sh [--suite SUITE | --shell N] [ROOT]
#   --suite SUITE   the Debian suite (also env SUITE; default trixie)
#   --shell N       the suite that ships GNOME Shell N (shells.txt)
#   ROOT            default: <repo>/.cache/shell-rootfs-SUITE  (also env ROOT)
#   DEBIAN_MIRROR   default: the host's Debian mirror from /etc/apt/sources*
#   FORCE=1         rebuild even if the stamp matches
#
# The stamp (ROOT/.phyllome-rootfs-stamp) names the suite, a hash of this
# script and the Shell it holds. A ROOT that holds another suite is never
# rebuilt in place: the script refuses and says so (remove it by hand). A
# ROOT of the same suite whose script hash differs is rebuilt cleanly, in
# ROOT.tmp, renamed into place only when complete, so an interrupted build
# never leaves a half-made ROOT that looks valid. The build fails when the
# suite's Shell is not the major version shells.txt gives it.
# Needs root (debootstrap, chroot, mounts). Fresh build here: about 2 min,
# 1.1-1.5 GB.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/shell/shells.sh
source "$HERE/shells.sh"

die() { echo "build-rootfs: $*" >&2; exit 2; }
SUITE=${SUITE:-}
while [[ $# -gt 0 ]]; do
  case $1 in
    --suite) SUITE=$2; shift 2 ;;
    --shell)
      s=$(shell_suite "$2")
      [[ -n $s ]] || die "no suite ships GNOME Shell $2 (test/shell/shells.txt: $(shells_all | tr '\n' ' '))"
      [[ -z $SUITE || $SUITE == "$s" ]] || die "--shell $2 is $s's, not $SUITE's"
      SUITE=$s; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) ROOT=$1; shift ;;
  esac
done
SUITE=${SUITE:-trixie}
SHELL_MAJOR=$(suite_shell "$SUITE")
[[ -n $SHELL_MAJOR ]] || die "suite $SUITE is not in test/shell/shells.txt"
ROOT=${ROOT:-$(suite_root "$SUITE" "$REPO")}
ROOT=$(realpath -m "$ROOT")

# What the Shell tests need inside the root. gnome-extensions(1) ships in
# gnome-shell itself; fonts so the top bar draws text; the icon theme for the
# panel/system indicators; dconf so gsettings written before start persist;
# virt-viewer for the guest-display tests; at-spi2-core (the accessibility
# bus launcher, org.a11y.Bus, and its registry) so that GTK 4 apps in the
# session show their widgets over AT-SPI, which the preferences tests read
# (test/e2e/atspi.ts; the Atspi typelib comes with gnome-shell); xauth and
# xwayland are not needed because the Shell runs with --no-x11.
PACKAGES=(
  gnome-shell
  gjs
  python3-dbusmock
  dbus-daemon
  dbus-bin
  libglib2.0-bin
  dconf-service
  dconf-gsettings-backend
  dconf-cli
  fonts-cantarell
  fonts-dejavu-core
  adwaita-icon-theme
  virt-viewer
  at-spi2-core
)

# A suite's extras (shells.txt's third column) add the packages listed in
# extra-NAME.txt beside this script.
EXTRA_LISTS=()
for extra in $(shells_rows | awk -v s="$SUITE" '$2 == s { for (i = 3; i <= NF; i++) print $i }'); do
  list=$HERE/extra-$extra.txt
  [[ -f $list ]] || die "shells.txt gives $SUITE the extra $extra, but there is no $list"
  EXTRA_LISTS+=("$list")
  mapfile -t more < <(grep -v '^\s*\(#\|$\)' "$list")
  PACKAGES+=("${more[@]}")
done

STAMP_FILE=.phyllome-rootfs-stamp
# What the root is built from: this script, the suite's row of the table and
# its extras' lists (so a change to one extra rebuilds only the roots with it).
SCRIPT_HASH=$( { cat "${BASH_SOURCE[0]}" "${EXTRA_LISTS[@]}"; shells_rows | awk -v s="$SUITE" '$2 == s'; } | sha256sum | cut -d' ' -f1)

log() { printf '[build-rootfs] %s\n' "$*" >&2; }
stamp_field() { [[ -f $1 ]] && sed -n "s/^$2=//p" "$1" | head -n1; return 0; }

if [[ $(id -u) != 0 ]]; then
  echo "build-rootfs.sh must run as root (debootstrap/chroot)" >&2
  exit 1
fi

# Serialise concurrent callers (e.g. two test scripts at once); the second one
# then sees the fresh stamp and returns immediately.
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9

# A ROOT that is not this suite's root is never replaced: a root of another
# suite (or something that is no root of ours at all) given as ROOT would
# otherwise be rebuilt from SUITE in its place, and a run would test a Shell
# nobody asked for.
if [[ -e $ROOT && -n $(ls -A "$ROOT" 2>/dev/null) ]]; then
  held=$(stamp_field "$ROOT/$STAMP_FILE" suite)
  if [[ -z $held ]]; then
    die "$ROOT is not a root of this script's that names its suite (no suite in $STAMP_FILE); refusing to replace it: remove it, or give another ROOT"
  fi
  if [[ $held != "$SUITE" ]]; then
    die "$ROOT holds $held (GNOME Shell $(stamp_field "$ROOT/$STAMP_FILE" shell)), not $SUITE; refusing to rebuild it as $SUITE: give $SUITE its own ROOT (default $(suite_root "$SUITE" "$REPO"))"
  fi
  if [[ ${FORCE:-0} != 1 && $(stamp_field "$ROOT/$STAMP_FILE" script) == "$SCRIPT_HASH" ]]; then
    log "up to date: $ROOT ($SUITE, GNOME Shell $(stamp_field "$ROOT/$STAMP_FILE" shell))"
    exit 0
  fi
fi

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap on the host"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# Same mirror the host already uses (the only Debian mirror reachable here).
detect_mirror() {
  local f u
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    u=$( { grep -hE '^URIs:' "$f" | awk '{print $2}'; grep -hE '^deb ' "$f" | awk '{print $2}'; } \
      | grep -E '/debian/?$' | head -n1 || true)
    if [[ -n $u ]]; then echo "${u%/}"; return; fi
  done
  echo http://deb.debian.org/debian
}
MIRROR=${DEBIAN_MIRROR:-$(detect_mirror)}

TMP=$ROOT.tmp
# A previous interrupted build may have left ROOT.tmp; its mounts died with
# its namespace, so a plain rm is safe. Refuse if something is still mounted.
if findmnt -rno TARGET | grep -qF "$TMP/"; then
  echo "something is still mounted under $TMP; refusing to delete it" >&2
  exit 1
fi
rm -rf --one-file-system "$TMP" "$TMP.debootstrap.log"
mkdir -p "$TMP"

log "building $SUITE (GNOME Shell $SHELL_MAJOR) into $TMP from $MIRROR"
start=$(date +%s)

# All mounts (debootstrap's own /proc,/sys and ours) live in a private mount
# namespace, so they vanish when this block ends, whatever happens. A private
# PID namespace too: if this script dies (even SIGKILL), --pdeathsig ends
# unshare, --kill-child ends its PID 1, and the kernel ends every process
# below it, so no orphaned apt keeps writing into ROOT.tmp.
# Bookworm's debootstrap has no script for suites newer than trixie (forky):
# sid's builds them (debootstrap's last argument).
SCRIPT=$SUITE
[[ -e /usr/share/debootstrap/scripts/$SUITE ]] || SCRIPT=sid
export TMP MIRROR SUITE SCRIPT
export PKGS="${PACKAGES[*]}"
setpriv --pdeathsig KILL -- unshare --pid --fork --kill-child --mount --propagation private \
  bash -euo pipefail -c '
  debootstrap --variant=minbase --components=main "$SUITE" "$TMP" "$MIRROR" "$SCRIPT" >"$TMP.debootstrap.log" 2>&1 \
    || { tail -n 30 "$TMP.debootstrap.log" >&2; exit 1; }

  echo "deb $MIRROR $SUITE main" >"$TMP/etc/apt/sources.list"
  # The mirror reachable here may serve a suite whose Release file is past
  # its Valid-Until date (a snapshot); apt refuses such a suite unless told.
  echo "Acquire::Check-Valid-Until \"false\";" >"$TMP/etc/apt/apt.conf.d/99phyllome-valid-until"
  cp /etc/resolv.conf "$TMP/etc/resolv.conf" 2>/dev/null || true
  # No init system inside: keep maintainer scripts from starting daemons.
  printf "#!/bin/sh\nexit 101\n" >"$TMP/usr/sbin/policy-rc.d"
  chmod +x "$TMP/usr/sbin/policy-rc.d"

  mountpoint -q "$TMP/proc" || mount -t proc proc "$TMP/proc"
  mountpoint -q "$TMP/sys" || mount -t sysfs sysfs "$TMP/sys"
  mount --bind /dev "$TMP/dev"
  mount -t devpts devpts "$TMP/dev/pts" -o newinstance,ptmxmode=0666 2>/dev/null || true

  chroot "$TMP" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    sh -ec "apt-get update -qq
            apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
            apt-get clean
            rm -rf /var/lib/apt/lists/*"
'

# dbus-daemon refuses to start without a machine id.
[[ -s $TMP/etc/machine-id ]] || chroot "$TMP" dbus-uuidgen --ensure=/etc/machine-id

# The suite must ship the Shell the table says: sid moves on, and a root of
# another Shell would be tested under this one's name.
VERSION=$(chroot "$TMP" dpkg-query -W -f='${Version}' gnome-shell)
VERSION=${VERSION#*:}
VERSION=${VERSION%%[-~+]*}
if [[ ${VERSION%%.*} != "$SHELL_MAJOR" ]]; then
  die "$SUITE now ships GNOME Shell $VERSION, not $SHELL_MAJOR (test/shell/shells.txt); $TMP kept for a look"
fi
printf 'suite=%s\nscript=%s\nshell=%s\n' "$SUITE" "$SCRIPT_HASH" "$VERSION" >"$TMP/$STAMP_FILE"
rm -f "$TMP.debootstrap.log"

# Swap in atomically-ish: the old tree goes away only after the new one exists.
if [[ -e $ROOT ]]; then
  if findmnt -rno TARGET | grep -qF "$ROOT/"; then
    echo "something is mounted under $ROOT (a running shell test?); refusing to replace it" >&2
    exit 1
  fi
  mv "$ROOT" "$ROOT.old"
  rm -rf --one-file-system "$ROOT.old"
fi
mv "$TMP" "$ROOT"

log "done in $(($(date +%s) - start)) s, $SUITE with GNOME Shell $VERSION, size $(du -sh --one-file-system "$ROOT" | cut -f1): $ROOT"
