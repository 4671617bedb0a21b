#!/bin/bash
# Installs Phyllome Switcher for the current user on a real host: the service
# (one executable, started on demand by D-Bus activation, as a systemd user
# unit where systemd runs) and the GNOME Shell extension.
#   tools/install.sh [--connect URI]   URI: qemu:///system (default), qemu:///session, test:///default
#   tools/install.sh --uninstall       removes all of it; guests and their disks are never touched
# Honours XDG_DATA_HOME and XDG_CONFIG_HOME; installs nothing outside $HOME.
set -euo pipefail
cd "$(dirname "$0")/.."

UUID=switcher@phyllo.me
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
CONFIG=${XDG_CONFIG_HOME:-$HOME/.config}
LIBDIR=$HOME/.local/lib/phyllome-switcher
EXEC_FILE=$LIBDIR/phyllome-switcher-service
DBUS_SERVICE=$DATA/dbus-1/services/me.phyllo.Switcher1.service
UNIT=$CONFIG/systemd/user/phyllome-switcher.service
EXTENSION_DIR=$DATA/gnome-shell/extensions/$UUID

have_user_systemd() { command -v systemctl >/dev/null && systemctl --user show-environment >/dev/null 2>&1; }
have_shell() { command -v gnome-extensions >/dev/null && gdbus introspect --session --dest org.gnome.Shell --object-path /org/gnome/Shell >/dev/null 2>&1; }

uninstall() {
  if have_shell; then gnome-extensions disable "$UUID" 2>/dev/null || true; fi
  if have_user_systemd; then systemctl --user stop phyllome-switcher.service 2>/dev/null || true; fi
  rm -rf "$EXTENSION_DIR" "$LIBDIR"
  rm -f "$DBUS_SERVICE" "$UNIT"
  if have_user_systemd; then systemctl --user daemon-reload; fi
  echo "Phyllome Switcher removed (your guests are untouched)."
}

if [[ "${1:-}" == --uninstall ]]; then
  uninstall
  exit 0
fi

URI=qemu:///system
if [[ "${1:-}" == --connect ]]; then URI=${2:?--connect needs a URI}; fi
case $URI in test:///default | qemu:///session | qemu:///system) ;; *)
  echo "install: unsupported URI '$URI'" >&2
  exit 2
  ;;
esac

[[ -x build/phyllome-switcher-service && -f build/$UUID.shell-extension.zip ]] || { bash tools/setup.sh && npm run --silent build; }

mkdir -p "$LIBDIR" "$(dirname "$DBUS_SERVICE")" "$(dirname "$UNIT")" "$(dirname "$EXTENSION_DIR")"
install -m 0755 build/phyllome-switcher-service "$EXEC_FILE"
install -m 0644 data/me.phyllo.Switcher1.xml README.md "$LIBDIR/"
# Phyllome's guest model, which CreateGuest fills in; found beside the executable.
mkdir -p "$LIBDIR/domain-templates"
install -m 0644 data/domain-templates/*.xml "$LIBDIR/domain-templates/"
fill() { sed -e "s|@EXEC@|$EXEC_FILE --connect $URI|" -e "s|@DOCDIR@|$LIBDIR|" "$1" >"$2"; }
fill data/me.phyllo.Switcher1.service.in "$DBUS_SERVICE"
fill data/phyllome-switcher.service.in "$UNIT"
if have_user_systemd; then systemctl --user daemon-reload; fi

rm -rf "$EXTENSION_DIR"
mkdir -p "$EXTENSION_DIR"
(cd "$EXTENSION_DIR" && unzip -q "$OLDPWD/build/$UUID.shell-extension.zip")
if have_shell; then
  gnome-extensions enable "$UUID" || echo "install: log out and in once, then: gnome-extensions enable $UUID"
else
  echo "install: GNOME Shell is not running here; enable it later with: gnome-extensions enable $UUID"
fi
echo "Phyllome Switcher installed for $USER: service for $URI (started on demand), extension $UUID."
