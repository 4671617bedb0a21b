#!/bin/bash
# Builds a small EFI-bootable installer ISO (a few MB) whose GRUB shows a
# menu titled after LABEL and installs nothing: for the tests and the demo
# to create guests from, and to see the firmware boot it.
#
# Its EFI boot image is Debian's signed shim and signed GRUB (the CD build),
# so it boots under Secure Boot with Microsoft's keys enrolled as well as
# without. The two packages (shim-signed, grub-efi-amd64-signed) are only
# downloaded with apt-get and unpacked into .cache/secureboot/, never
# installed: installing them would touch the host's boot set-up.
# Needs xorriso and mtools (tools/debian-packages.txt).
#
# LABEL is the ISO's volume id and PUBLISHER its publisher id: what libosinfo
# recognises an OS's installer by (a Windows 11 ISO is CCCOMA_X64FRE_EN-US_DV9
# from MICROSOFT CORPORATION), so the tests can offer it a known OS.
#
# Usage: tools/make-installer-iso.sh OUT.iso [LABEL [PUBLISHER]]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$1"
label="${2:-PHYLLOME_TEST}"
publisher="${3:-Phyllome}"

cache="$root/.cache/secureboot"
shim="$cache/usr/lib/shim/shimx64.efi.signed"
grub="$cache/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed"
if [[ ! -f "$shim" || ! -f "$grub" ]]; then
  mkdir -p "$cache/debs"
  chmod 0777 "$cache/debs" # apt-get download drops to _apt when it can
  (cd "$cache/debs" && apt-get download -q shim-signed grub-efi-amd64-signed >/dev/null 2>&1) || {
    apt-get update -qq && (cd "$cache/debs" && apt-get download -q shim-signed grub-efi-amd64-signed >/dev/null)
  }
  for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$cache"; done
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/iso/boot/grub" "$stage/iso/.disk"
echo "Phyllome test installer $label" > "$stage/iso/.disk/info"
cat > "$stage/iso/boot/grub/grub.cfg" <<CFG
set timeout=-1
menuentry "Phyllome test installer: $label" {
  echo "This ISO installs nothing: it shows that the guest's firmware boots it."
  sleep 3600
}
menuentry "Power off" {
  halt
}
CFG
# Debian's CD GRUB finds its root by /.disk/info and reads /boot/grub/grub.cfg;
# the same lines in the EFI image cover a GRUB that looks beside itself.
cat > "$stage/grub.cfg" <<'CFG'
search --file --set=root /.disk/info
set prefix=($root)/boot/grub
configfile $prefix/grub.cfg
CFG

efi="$stage/iso/boot/efi.img"
truncate -s 8M "$efi"
mformat -i "$efi" ::
mmd -i "$efi" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$efi" "$shim" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$efi" "$grub" ::/EFI/BOOT/grubx64.efi
mcopy -i "$efi" "$stage/grub.cfg" ::/EFI/BOOT/grub.cfg
mcopy -i "$efi" "$stage/grub.cfg" ::/EFI/debian/grub.cfg

xorriso -as mkisofs -quiet -R -J -V "$label" -publisher "$publisher" \
  -e boot/efi.img -no-emul-boot -isohybrid-gpt-basdat \
  -o "$out" "$stage/iso"
