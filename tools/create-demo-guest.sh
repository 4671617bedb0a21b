#!/bin/bash
# A guest from Phyllome's model, for the demo: builds the small EFI-bootable
# installer ISO that libosinfo takes for Windows 11 (tools/make-installer-iso.sh,
# cached in .cache/isos/), asks the service what it holds (DescribeInstaller),
# creates the guest (CreateGuest: TPM 2.0, Secure Boot, Phyllome's Windows
# model, a sparse disk in the default pool) and, with --show, switches to it
# (Guest.Show: started, its viewer opened; the firmware boots the ISO's menu).
#
# The service must serve a QEMU connection (qemu:///session or qemu:///system;
# on a host whose nested KVM cannot run a host-model CPU, with --virt-type qemu)
# on the bus at DBUS_SESSION_BUS_ADDRESS, or --address.
#
# Usage: tools/create-demo-guest.sh [--address ADDRESS] [--name NAME] [--show]
# Prints the new guest's D-Bus object path on the last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

address=${DBUS_SESSION_BUS_ADDRESS:-}
name=Windows-11
show=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --address) address=$2 && shift 2 ;;
    --name) name=$2 && shift 2 ;;
    --show) show=true && shift ;;
    *) echo "create-demo-guest: unknown argument $1" >&2 && exit 2 ;;
  esac
done
[[ -n $address ]] || { echo "create-demo-guest: no bus (DBUS_SESSION_BUS_ADDRESS or --address)" >&2; exit 2; }

iso=$root/.cache/isos/win11-shaped.iso
if [[ ! -f $iso ]]; then
  mkdir -p "$(dirname "$iso")"
  "$root/tools/make-installer-iso.sh" "$iso" CCCOMA_X64FRE_EN-US_DV9 'MICROSOFT CORPORATION' 2>/dev/null
fi

call() {
  local path=$1 method=$2
  shift 2
  gdbus call --address "$address" --dest me.phyllo.Switcher1 --object-path "$path" --method "$method" "$@"
}
echo "create-demo-guest: $(call /me/phyllo/Switcher1 me.phyllo.Switcher1.Manager.DescribeInstaller "$iso")" >&2
guest=$(call /me/phyllo/Switcher1 me.phyllo.Switcher1.Manager.CreateGuest "$name" '' "$iso" '{}' --timeout 120 |
  sed -n "s/^(objectpath '\(.*\)',)$/\1/p")
[[ -n $guest ]] || { echo "create-demo-guest: CreateGuest gave no guest" >&2; exit 1; }
if $show; then call "$guest" me.phyllo.Switcher1.Guest.Show --timeout 120 >/dev/null; fi
echo "$guest"
