#!/bin/bash
# `npm run demo`: the service on libvirt's test driver, on a private bus,
# with a few demo guests, and a live view of what it announces. Ctrl-C
# stops everything it started.
#   --no-wait   show the tour, then stop (for a quick look or a script)
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh >&2
npm run --silent build >&2

workdir=$(mktemp -d /tmp/phyllome-demo.XXXXXX)
pids=()
cleanup() {
  # Newest first, each gone before the next, so nobody sees its bus vanish.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

dbus-daemon --session --nofork --address="unix:path=$workdir/bus" --print-address=3 3>"$workdir/address" 2>/dev/null &
pids+=($!)
while [[ ! -s "$workdir/address" ]]; do sleep 0.05; done
export DBUS_SESSION_BUS_ADDRESS="unix:path=$workdir/bus"

libvirt-dbus --session &
pids+=($!)
call() { gdbus call --session --dest "$@"; }
until call org.libvirt --object-path /org/libvirt/Test --method org.libvirt.Connect.ListDomains 0 >/dev/null 2>&1; do sleep 0.05; done

# A few guests as a user of this host would have them, with their OS.
define() {
  local name=$1 os=$2 memory=$3
  call org.libvirt --object-path /org/libvirt/Test --method org.libvirt.Connect.DomainDefineXML \
    "<domain type='test'><name>$name</name><memory unit='MiB'>$memory</memory><vcpu>2</vcpu><metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='$os'/></libosinfo:libosinfo></metadata><os><type>hvm</type></os></domain>" >/dev/null
}
define "Windows 11" http://microsoft.com/win/11 8192
define "Fedora Workstation" http://fedoraproject.org/fedora/41 4096
define "macOS" http://apple.com/macos/14 8192

build/phyllome-switcher-service --connect test:///default &
pids+=($!)
until call me.phyllo.Switcher1 --object-path /me/phyllo/Switcher1 --method me.phyllo.Switcher1.Manager.ListGuests >/dev/null 2>&1; do sleep 0.05; done

show() {
  echo
  echo "Guests on test:///default:"
  for path in $(call me.phyllo.Switcher1 --object-path /me/phyllo/Switcher1 --method me.phyllo.Switcher1.Manager.ListGuests | grep -o "/me/[^']*"); do
    get() { call me.phyllo.Switcher1 --object-path "$path" --method org.freedesktop.DBus.Properties.Get me.phyllo.Switcher1.Guest "$1" | sed -E "s/^\(<(.*)>,\)$/\1/; s/^'(.*)'$/\1/; s/^uint(32|64) //"; }
    printf '  %-20s %-9s %2s vCPU %6s MiB  %s\n' "$(get Name)" "$(get State)" "$(get Vcpus)" "$(get MemoryMiB)" "$(get OsId)"
  done
}

show
fedora=$(call me.phyllo.Switcher1 --object-path /me/phyllo/Switcher1 --method me.phyllo.Switcher1.Manager.FindGuest "Fedora Workstation" | grep -o "/me/[^']*")
echo
echo "Starting Fedora Workstation, then the emergency PauseAll:"
call me.phyllo.Switcher1 --object-path "$fedora" --method me.phyllo.Switcher1.Guest.Start >/dev/null
call me.phyllo.Switcher1 --object-path /me/phyllo/Switcher1 --method me.phyllo.Switcher1.Manager.PauseAll
show
echo
echo "ResumeAll resumes only what PauseAll paused:"
call me.phyllo.Switcher1 --object-path /me/phyllo/Switcher1 --method me.phyllo.Switcher1.Manager.ResumeAll
show
echo
echo "A senseless request gets a typed error and changes nothing:"
call me.phyllo.Switcher1 --object-path "$fedora" --method me.phyllo.Switcher1.Guest.Start 2>&1 | sed 's/^/  /' || true

if [[ "${1:-}" == --no-wait ]]; then exit 0; fi
echo
echo "The service is on DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
echo "Following its signals; try: DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS gdbus call --session --dest me.phyllo.Switcher1 --object-path $fedora --method me.phyllo.Switcher1.Guest.Pause"
echo "Ctrl-C stops the demo."
gdbus monitor --session --dest me.phyllo.Switcher1 &
pids+=($!)
wait
