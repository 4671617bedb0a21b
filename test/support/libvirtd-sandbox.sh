#!/bin/bash
# A real libvirtd + virtlogd (+ libvirt-dbus on a given bus) for tests, in a
# private mount namespace whose libvirt state lives on tmpfs: nothing is
# shared with a libvirtd of the host, and no mount outlives the namespace.
#
# Usage: libvirtd-sandbox.sh            (DBUS_SESSION_BUS_ADDRESS set)
#        LIBVIRT_DBUS_BUS=system libvirtd-sandbox.sh   (DBUS_SYSTEM_BUS_ADDRESS set):
#        libvirt-dbus --system, for qemu:///system, on that bus, as on a real host
# Prints "ready PID" once libvirt-dbus owns org.libvirt; PID is this script,
# which lives in the namespace as long as the sandbox does: for `nsenter
# --mount --target PID` (virsh in benches) and /proc/PID/root/run/libvirt.
# SIGUSR1 stops libvirtd alone (printing "libvirtd stopped"), SIGUSR2 starts
# it again ("libvirtd started"), under the live libvirt-dbus: a restart as a
# package upgrade does it.
# SANDBOX_SOCKET_DIR=DIR puts libvirtd's sockets in DIR (outside the
# namespace), so another sandbox's libvirtd can reach this one
# (qemu+unix:///system?socket=DIR/libvirt-sock: a second host for live
# migration); SANDBOX_NO_DBUS=1 starts no libvirt-dbus (then "ready PID"
# comes once libvirtd listens). Each sandbox has its own host UUID.
# LIBVIRT_ROOT=DIR runs libvirtd, virtlogd and libvirt-dbus (and so QEMU and
# swtpm) from the root file system DIR (test/shell/build-rootfs.sh's trixie
# root: another release's libvirt, test/libvirt/run.sh): chrooted there, with
# libvirt's state folders, /tmp and the test run's TMPDIR seen at the same
# paths inside and out, so guests' files, buses and sockets are where the
# tests and the service look for them. It prints "libvirtd VERSION" first.
# On SIGTERM/SIGINT it destroys running guests and stops, by PID, every
# process it started.
set -euo pipefail

if [[ "${1:-}" != --inside ]]; then
  exec unshare --mount --propagation private -- "$0" --inside
fi

# swtpm (emulated TPMs) keeps its state under /var/lib/libvirt/swtpm, its
# logs and its local CA's keys in the last two. Guest disks are sparse: a
# large size limit lets a 64 GiB disk be made while using almost nothing.
STATE_DIRS=(/run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt /var/log/swtpm /var/lib/swtpm-localca)
for dir in "${STATE_DIRS[@]}"; do
  mkdir -p "$dir"
  mount -t tmpfs -o mode=0755,size=1T tmpfs "$dir"
done

# The daemons' programs: this host's, or those of another release's root.
IN_ROOT=()
if [[ -n ${LIBVIRT_ROOT:-} ]]; then
  root=$(realpath "$LIBVIRT_ROOT")
  [[ -x $root/usr/sbin/libvirtd ]] || { echo "no libvirtd in $root" >&2; exit 1; }
  # All of these mounts are in this namespace only, and go with it. The root
  # is a mount point of its own first: libvirt (10+) gives each QEMU a mount
  # namespace of its own and makes "/" a slave mount, which fails on a
  # chroot's root that is no mount point ("Failed disable mount propagation").
  mount --bind "$root" "$root"
  # The folders shared with the host, each without what is mounted below it:
  # the checkout, and so the root, may itself be under /tmp (a CI clone), and
  # its own /sys would then show twice to libvirt, which read the cgroups
  # through the wrong one ("Unable to read from …/sys/fs/cgroup/…").
  shared=("${STATE_DIRS[@]}" /tmp)
  [[ -n ${TMPDIR:-} && $TMPDIR != /tmp/* ]] && shared+=("$TMPDIR")
  for dir in "${shared[@]}"; do
    mkdir -p "$root$dir"
    mount --bind "$dir" "$root$dir"
  done
  # The checkout too (read-only), where tests keep files libvirt opens: the
  # installer ISOs they build (.cache/isos).
  repo=$(cd "$(dirname "$0")/../.." && pwd)
  mkdir -p "$root$repo"
  mount --bind "$repo" "$root$repo"
  mount -o remount,bind,ro "$root$repo"
  # Host names resolve as on this host: a live move's disk copy goes to the
  # target's host name.
  mount --bind /etc/hosts "$root/etc/hosts"
  # The kernel's file systems last, so that no folder shared above holds a copy of them.
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  IN_ROOT=(chroot "$root")
fi
echo "libvirtd $("${IN_ROOT[@]}" /usr/sbin/libvirtd --version | awk '{print $NF}')"
# swtpm_setup runs swtpm_localca as swtpm's user (tss when there is one), as
# the programs' own system knows it.
if "${IN_ROOT[@]}" id tss >/dev/null 2>&1; then
  "${IN_ROOT[@]}" chown tss:root /var/lib/swtpm-localca && chmod 0750 /var/lib/swtpm-localca
fi
# Ports. Sandboxes side by side (vitest's workers, the e2e suite in several
# Shells at once, other test runs) share the network, and two libvirtds may
# give two guests the same display or migration port (QEMU then fails with
# "Address already in use"). Each sandbox takes a block of ports of its own,
# held by a lock on one of 64 files in /run/lock for as long as it (and the
# daemons that inherit the lock) lives. Below 32768, the kernel's own range.
ports_dir=/run/lock/phyllome-sandbox-ports
mkdir -p "$ports_dir"
block=
for candidate in $(shuf -i 0-63); do
  exec {ports_lock}>"$ports_dir/$candidate"
  if flock -n "$ports_lock"; then block=$candidate; break; fi
  exec {ports_lock}>&-
done
[[ -n $block ]] || { echo "no free block of ports for a sandbox" >&2; exit 1; }
display_port=$((20000 + block * 64))
migration_port=$((24096 + block * 64))
# QEMU as root here: the sandbox is throwaway and needs no host user set-up.
cat > /etc/libvirt/qemu.conf <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
swtpm_user = "root"
swtpm_group = "root"
remote_display_port_min = $display_port
remote_display_port_max = $((display_port + 63))
migration_port_min = $migration_port
migration_port_max = $((migration_port + 63))
CONF
# Chrooted, QEMU gets no mount namespace of its own (libvirt's default): the
# /dev libvirt builds for it from the chroot's lacked /dev/urandom, which a
# guest's RNG opens ("Could not open '/dev/urandom'").
[[ ${#IN_ROOT[@]} -eq 0 ]] || echo 'namespaces = []' >>/etc/libvirt/qemu.conf
# libvirtd's read-write socket as Debian has it: root's and the libvirt group's (a service of ours
# running as a user of its own reaches libvirt through that group); no other user may open it. By
# number in a root, whose own /etc/group has no libvirt group.
sock_group=root
if gid=$(getent group libvirt | cut -d: -f3) && [[ -n $gid ]]; then
  sock_group=libvirt
  [[ ${#IN_ROOT[@]} -eq 0 ]] || sock_group=+$gid
fi
cat > /etc/libvirt/libvirtd.conf <<CONF
unix_sock_group = "$sock_group"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
CONF
# libvirt refuses to migrate a guest to a host with its own UUID.
echo "host_uuid = \"$(cat /proc/sys/kernel/random/uuid)\"" >> /etc/libvirt/libvirtd.conf
socket=/run/libvirt/libvirt-sock
if [[ -n "${SANDBOX_SOCKET_DIR:-}" ]]; then
  echo "unix_sock_dir = \"$SANDBOX_SOCKET_DIR\"" >> /etc/libvirt/libvirtd.conf
  socket="$SANDBOX_SOCKET_DIR/libvirt-sock"
fi
: > /etc/libvirt/virtlogd.conf
: > /etc/libvirt/libvirt.conf

pids=()
stop_all() {
  trap - TERM INT EXIT
  # Guests first (QEMU outlives libvirtd otherwise), each by its pid file.
  # Their emulated TPMs (swtpm, which also leaves on its own once QEMU is gone) the same way.
  for pidfile in /run/libvirt/qemu/*.pid /run/libvirt/qemu/swtpm/*.pid; do
    [[ -f "$pidfile" ]] && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
  done
  stop_libvirtd
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  exit 0
}
trap stop_all TERM INT EXIT

libvirtd=
start_libvirtd() {
  [[ -z $libvirtd ]] || return 0
  # Pid files on the tmpfs too, so sandboxes never meet (the defaults are /run/*.pid).
  "${IN_ROOT[@]}" /usr/sbin/libvirtd --pid-file /run/libvirt/libvirtd.pid &
  libvirtd=$!
  for _ in $(seq 100); do
    [[ -S "$socket" ]] && return 0
    sleep 0.1
  done
  echo "libvirtd did not start" >&2
  return 1
}
stop_libvirtd() {
  [[ -n $libvirtd ]] || return 0
  kill -TERM "$libvirtd" 2>/dev/null || true
  wait "$libvirtd" 2>/dev/null || true
  libvirtd=
}
trap 'stop_libvirtd; echo "libvirtd stopped"' USR1
trap 'start_libvirtd && echo "libvirtd started"' USR2

"${IN_ROOT[@]}" /usr/sbin/virtlogd --pid-file /run/libvirt/virtlogd.pid &
pids+=($!)
start_libvirtd || exit 1

serve() {
  echo "ready $$"
  # Wait on the children; signals interrupt wait and run stop_all.
  while true; do wait -n || true; sleep 1 & wait $! || true; done
}
[[ -n "${SANDBOX_NO_DBUS:-}" ]] && serve

# As root, libvirt-dbus's qemu:///session reaches the (sandboxed) system libvirtd.
# Only root and the libvirt group may open libvirtd's read-write socket here (above), as
# on Debian: a process of another user cannot.
if [[ ${LIBVIRT_DBUS_BUS:-session} == system ]]; then
  "${IN_ROOT[@]}" /usr/sbin/libvirt-dbus --system &
  bus_address=$DBUS_SYSTEM_BUS_ADDRESS
else
  "${IN_ROOT[@]}" /usr/sbin/libvirt-dbus --session &
  bus_address=$DBUS_SESSION_BUS_ADDRESS
fi
pids+=($!)
for _ in $(seq 100); do
  if gdbus call --address "$bus_address" -d org.freedesktop.DBus -o /org/freedesktop/DBus \
      -m org.freedesktop.DBus.GetNameOwner org.libvirt >/dev/null 2>&1; then
    serve
  fi
  sleep 0.1
done
echo "libvirt-dbus did not appear" >&2
exit 1
