#!/bin/bash
# Installs what building, testing and the demo need on a fresh Debian
# machine, and nothing when it is all there already: the Debian packages
# listed in tools/debian-packages.txt, then the npm packages of the lock file.
# Run as root (or with sudo available) for the Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t DEBIAN_PACKAGES < <(grep -v '^\s*\(#\|$\)' tools/debian-packages.txt)

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
