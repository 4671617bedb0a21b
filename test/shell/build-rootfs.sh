#!/usr/bin/env bash
# Build (once, cached) a Debian 13 "trixie" root file system that holds a real
# GNOME Shell 48, for test/shell/run-shell.sh.
#
# Usage: test/shell/build-rootfs.sh [ROOT]
#   ROOT            default: <repo>/.cache/shell-rootfs  (also env ROOT)
#   DEBIAN_MIRROR   default: the host's Debian mirror from /etc/apt/sources*
#   FORCE=1         rebuild even if the stamp matches
#
# The stamp (ROOT/.phyllome-rootfs-stamp) is a hash of this script, so any
# change to the package list or build steps triggers a clean rebuild. The new
# tree is built in ROOT.tmp and renamed into place only when complete, so an
# interrupted build never leaves a half-made ROOT that looks valid.
# Needs root (debootstrap, chroot, mounts). Fresh build here: 80-110 s, 1.1 GB.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROOT=${1:-${ROOT:-$REPO/.cache/shell-rootfs}}
ROOT=$(realpath -m "$ROOT")
SUITE=${SUITE:-trixie} # another Debian suite builds another GNOME Shell (README: Which GNOME Shell)

# What the Shell tests need inside the root. gnome-extensions(1) ships in
# gnome-shell itself; fonts so the top bar draws text; the icon theme for the
# panel/system indicators; dconf so gsettings written before start persist;
# virt-viewer for the guest-display tests; xauth/xwayland are not needed
# because the Shell runs with --no-x11.
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
)

STAMP_FILE=.phyllome-rootfs-stamp
STAMP=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)

log() { printf '[build-rootfs] %s\n' "$*" >&2; }

if [[ $(id -u) != 0 ]]; then
  echo "build-rootfs.sh must run as root (debootstrap/chroot)" >&2
  exit 1
fi

# Serialise concurrent callers (e.g. two test scripts at once); the second one
# then sees the fresh stamp and returns immediately.
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9

if [[ ${FORCE:-0} != 1 && -f $ROOT/$STAMP_FILE && $(cat "$ROOT/$STAMP_FILE") == "$STAMP" ]]; then
  log "up to date: $ROOT"
  exit 0
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

log "building $SUITE into $TMP from $MIRROR"
start=$(date +%s)

# All mounts (debootstrap's own /proc,/sys and ours) live in a private mount
# namespace, so they vanish when this block ends, whatever happens. A private
# PID namespace too: if this script dies (even SIGKILL), --pdeathsig ends
# unshare, --kill-child ends its PID 1, and the kernel ends every process
# below it, so no orphaned apt keeps writing into ROOT.tmp.
export TMP MIRROR SUITE
export PKGS="${PACKAGES[*]}"
setpriv --pdeathsig KILL -- unshare --pid --fork --kill-child --mount --propagation private \
  bash -euo pipefail -c '
  debootstrap --variant=minbase --components=main "$SUITE" "$TMP" "$MIRROR" >"$TMP.debootstrap.log" 2>&1 \
    || { tail -n 30 "$TMP.debootstrap.log" >&2; exit 1; }

  echo "deb $MIRROR $SUITE main" >"$TMP/etc/apt/sources.list"
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

echo "$STAMP" >"$TMP/$STAMP_FILE"
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

log "done in $(($(date +%s) - start)) s, size $(du -sh --one-file-system "$ROOT" | cut -f1): $ROOT"
