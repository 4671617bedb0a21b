#!/bin/bash
# `npm run rpm`: the Fedora packages, phyllome-switcher (the host-wide
# service) and gnome-shell-extension-phyllome-switcher, from
# packaging/rpm/phyllome-switcher.spec, into build/rpm/; then rpmlint on
# them and the spec. Builds on Fedora and on this Debian machine (rpm's
# rpmbuild; Fedora's systemd macros from packaging/rpm/ where rpm has none).
#   tools/build-rpm.sh [--prebuilt] [--out DIR]
# --prebuilt: package build/ as it is (no npm run build); --out: where the
# RPMs go (default build/rpm). Exits non-zero when rpmlint finds an error.
set -euo pipefail
cd "$(dirname "$0")/.."

PREBUILT=0
OUT=$PWD/build/rpm
while [[ $# -gt 0 ]]; do
  case $1 in
    --prebuilt) PREBUILT=1; shift ;;
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    *) echo "build-rpm: unknown option $1" >&2; exit 2 ;;
  esac
done
SPEC=packaging/rpm/phyllome-switcher.spec

if [[ $PREBUILT == 0 ]]; then
  # Debian: what the project needs, rpm's tools among them (tools/setup.sh). Fedora: rpm-build,
  # rpmlint, nodejs and npm, then the npm packages.
  if command -v apt-get >/dev/null; then bash tools/setup.sh; else [[ -d node_modules ]] || npm ci --no-audit --no-fund; fi
  npm run --silent build
fi
NAME=phyllome-switcher
VERSION=$(node -p 'require("./package.json").version')
SPEC_VERSION=$(sed -n 's/^Version:\s*//p' "$SPEC")
[[ $VERSION == "$SPEC_VERSION" ]] || { echo "build-rpm: package.json says $VERSION, the spec $SPEC_VERSION" >&2; exit 1; }

WORK=$(mktemp -d /tmp/phyllome-rpm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# The source: what the build made, data/ and the README, under NAME-VERSION/.
SRC=$WORK/$NAME-$VERSION
mkdir -p "$SRC/build" "$WORK/SOURCES"
cp -p build/phyllome-switcher-service build/phyllome-switcher-files build/phyllome-switcher-worker \
  build/phyllome-display-relay.js "$SRC/build/"
cp -pr build/extension "$SRC/build/"
cp -pr data README.md "$SRC/"
tar -C "$WORK" --owner=0 --group=0 -czf "$WORK/SOURCES/$NAME-$VERSION.tar.gz" "$NAME-$VERSION"

RPMBUILD=(rpmbuild --define "_topdir $WORK" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm")
# Off Fedora: what its rpm configuration and systemd macros give, from here, and no check of
# BuildRequires (systemd-rpm-macros is Fedora's).
if [[ -z $(rpm --eval '%{?fedora}') ]]; then
  RPMBUILD+=(--load packaging/rpm/macros.fedora-compat --nodeps)
fi
"${RPMBUILD[@]}" -bb "$SPEC" >"$WORK/rpmbuild.log" 2>&1 || { cat "$WORK/rpmbuild.log" >&2; exit 1; }

mkdir -p "$OUT"
rm -f "$OUT"/*.rpm
cp "$WORK"/RPMS/*.rpm "$OUT/"
echo "build-rpm: $(cd "$OUT" && echo *.rpm) in $OUT"
# rpmlint's exit status is non-zero when it finds an error (warnings are explained in the spec).
rpmlint --config packaging/rpm/rpmlint.toml "$OUT"/*.rpm "$SPEC"
