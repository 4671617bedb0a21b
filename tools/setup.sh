#!/bin/bash
# Installs what building, testing and the demo need on a fresh Debian
# machine, and nothing when it is all there already. Run as root (or with
# sudo available) for the Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# dbus-daemon: private buses; libglib2.0-bin: gdbus; libvirt-dbus: our way to
# libvirt; libvirtd + QEMU: the real-guest tests; libvirt-clients: virsh, to
# compare against in benchmarks; util-linux: unshare and nsenter; zip, unzip:
# the extension package; virt-viewer, xvfb: guests shown in a real viewer;
# umockdev, its GI bindings, python3-gi, udev: recorded USB devices replayed.
DEBIAN_PACKAGES=(
  dbus-daemon libglib2.0-bin libvirt-dbus libvirt-daemon libvirt-daemon-driver-qemu
  libvirt-clients qemu-system-x86 util-linux zip unzip virt-viewer xvfb umockdev gir1.2-umockdev-1.0
  python3-gi udev
)

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  SUDO=$([[ $(id -u) -eq 0 ]] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.phyllome-lock-stamp
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
