#!/bin/bash
# The demo's part that runs beside the Shell (run-shell.sh's CMD), in two acts.
# 1. libvirt's test driver: libvirt-dbus and our service join the Shell's bus,
#    a few guests appear, the switcher's menu opens, a screenshot is written.
# 2. Real guests (tools/demo/real-guests.ts): the service moves to a private
#    libvirtd running QEMU under software emulation; two tiny guests are
#    switched full-screen with the shortcuts, the launcher opens, and a new
#    guest from Phyllome's model boots its installer ISO; a screenshot each.
set -euo pipefail
cd "$(dirname "$0")/.."
NO_WAIT=${1:-}
SHOT=${DEMO_SCREENSHOT:-$PWD/.cache/artifacts/demo-menu.png}

pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

call() { gdbus call --session --dest "$@"; }
libvirt-dbus --session &
pids+=($!)
until call org.libvirt --object-path /org/libvirt/Test --method org.libvirt.Connect.ListDomains 0 >/dev/null 2>&1; do sleep 0.05; done

# Guests as a user of this host would have them, with their OS.
define() {
  call org.libvirt --object-path /org/libvirt/Test --method org.libvirt.Connect.DomainDefineXML \
    "<domain type='test'><name>$1</name><memory unit='MiB'>$3</memory><vcpu>2</vcpu><metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='$2'/></libosinfo:libosinfo></metadata><os><type>hvm</type></os></domain>" |
    grep -o "/org/[^']*"
}
windows=$(define "Windows 11" http://microsoft.com/win/11 8192)
define "Fedora Workstation" http://fedoraproject.org/fedora/41 4096 >/dev/null
define "macOS" http://apple.com/macos/14 8192 >/dev/null
call org.libvirt --object-path "$windows" --method org.libvirt.Domain.Create 0 >/dev/null
call org.libvirt --object-path "$windows" --method org.libvirt.Domain.Suspend >/dev/null

# One person and no logind in the demo: no seats to keep apart, said explicitly.
build/phyllome-switcher-service --connect test:///default --seats none &
pids+=($!)
until call me.phyllo.Switcher1 --object-path /me/phyllo/Switcher1 --method me.phyllo.Switcher1.Manager.ListGuests >/dev/null 2>&1; do sleep 0.05; done

# Open the switcher with one guest's actions showing, then capture the screen.
eval_js() { test/shell/shell-eval.sh "$1" >/dev/null; }
for _ in $(seq 50); do
  [[ $(test/shell/shell-eval.sh "Main.panel.statusArea['switcher@phyllo.me']?.describe().guests.length") == 4 ]] && break
  sleep 0.1
done
eval_js "(() => { const i = Main.panel.statusArea['switcher@phyllo.me']; i.menu.open(false); i.guestSection._getMenuItems().find((g) => g.label.text === 'Windows 11').setSubmenuShown(true); return true; })()"
sleep 0.5
test/shell/shell-screenshot.sh "$SHOT"
echo "demo: the switcher's menu, captured in $SHOT"

# Act 2: the test driver's service makes way for one on a real libvirtd.
cleanup
pids=()
echo "demo: now real guests: a private libvirtd with QEMU (software emulation)"
echo "demo: the Shell and the service share DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
echo "demo: e.g. gdbus call --session --dest me.phyllo.Switcher1 --object-path /me/phyllo/Switcher1 --method me.phyllo.Switcher1.Manager.PauseAll"
if [[ "$NO_WAIT" == --no-wait ]]; then export DEMO_NO_WAIT=1; fi
node build/tools/demo/real-guests.js &
pids+=($!)
wait "${pids[0]}"
