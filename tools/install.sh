#!/bin/bash
# Installs Phyllome Switcher on a real host, in one of two shapes:
#
#   tools/install.sh [--connect URI]             for the current user, under $HOME only: the service
#                                                (started on demand by D-Bus activation on the session
#                                                bus, as a systemd user unit where systemd runs) and the
#                                                GNOME Shell extension. URI: qemu:///system (default),
#                                                qemu:///session, test:///default
#   tools/install.sh --system [--connect URI]    as root, for every user of the host: one service on the
#                                                system bus (systemd system unit, D-Bus system policy and
#                                                activation), the only client of qemu:///system, so users
#                                                need no libvirt group, run as its own system user with no
#                                                capabilities; its guest-files helper (a unit and socket
#                                                of its own); their system accounts; the polkit policy;
#                                                the extension for every user
#   ... --uninstall                              removes what that shape installed; guests and their disks
#                                                are never touched
#   ... --destdir DIR                            (with --system) installs under DIR instead of /, for
#                                                packaging and tests; nothing is reloaded
#
# The per-user shape honours XDG_DATA_HOME and XDG_CONFIG_HOME and installs nothing outside $HOME.
set -euo pipefail
cd "$(dirname "$0")/.."

UUID=switcher@phyllo.me
SYSTEM=0
UNINSTALL=0
DESTDIR=
URI=qemu:///system
while [[ $# -gt 0 ]]; do
  case $1 in
    --system) SYSTEM=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --connect) URI=${2:?--connect needs a URI}; shift 2 ;;
    --destdir) DESTDIR=$(realpath -m "${2:?--destdir needs a directory}"); shift 2 ;;
    *) echo "install: unknown option $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done
case $URI in test:///default | qemu:///session | qemu:///system) ;; *)
  echo "install: unsupported URI '$URI'" >&2
  exit 2
  ;;
esac
[[ -z $DESTDIR || $SYSTEM == 1 ]] || { echo "install: --destdir goes with --system" >&2; exit 2; }

build() {
  [[ -x build/phyllome-switcher-service && -x build/phyllome-switcher-files && -x build/phyllome-switcher-worker &&
    -f build/phyllome-display-relay.js &&
    -f build/$UUID.shell-extension.zip ]] ||
    { bash tools/setup.sh && npm run --silent build; }
}

# The service's files: the executable, its guest-files helper and its workers' program, its
# display relay, the contract and Phyllome's guest model (found beside the executable), and this
# README.
install_service_files() {
  local libdir=$1
  mkdir -p "$libdir/domain-templates"
  install -m 0755 build/phyllome-switcher-service build/phyllome-switcher-files build/phyllome-switcher-worker "$libdir/"
  install -m 0644 build/phyllome-display-relay.js data/me.phyllo.Switcher1.xml README.md "$libdir/"
  install -m 0644 data/domain-templates/*.xml "$libdir/domain-templates/"
}

install_extension() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && unzip -q "$OLDPWD/build/$UUID.shell-extension.zip")
}

# Fills a template of data/: @EXEC@ (the command line) and @DOCDIR@.
fill() { sed -e "s|@EXEC@|$2|" -e "s|@DOCDIR@|$3|" "$1"; }

# ---------------------------------------------------------------- per user
user_install() {
  local data=${XDG_DATA_HOME:-$HOME/.local/share} config=${XDG_CONFIG_HOME:-$HOME/.config}
  local libdir=$HOME/.local/lib/phyllome-switcher
  local dbus_service=$data/dbus-1/services/me.phyllo.Switcher1.service
  local unit=$config/systemd/user/phyllome-switcher.service
  local extension=$data/gnome-shell/extensions/$UUID
  have_user_systemd() { command -v systemctl >/dev/null && systemctl --user show-environment >/dev/null 2>&1; }
  have_shell() { command -v gnome-extensions >/dev/null && gdbus introspect --session --dest org.gnome.Shell --object-path /org/gnome/Shell >/dev/null 2>&1; }

  if [[ $UNINSTALL == 1 ]]; then
    if have_shell; then gnome-extensions disable "$UUID" 2>/dev/null || true; fi
    if have_user_systemd; then systemctl --user stop phyllome-switcher.service 2>/dev/null || true; fi
    rm -rf "$extension" "$libdir"
    rm -f "$dbus_service" "$unit"
    if have_user_systemd; then systemctl --user daemon-reload; fi
    echo "Phyllome Switcher removed (your guests are untouched)."
    return
  fi

  build
  mkdir -p "$(dirname "$dbus_service")" "$(dirname "$unit")" "$(dirname "$extension")"
  install_service_files "$libdir"
  fill data/me.phyllo.Switcher1.service.in "$libdir/phyllome-switcher-service --connect $URI" "$libdir" >"$dbus_service"
  fill data/phyllome-switcher.service.in "$libdir/phyllome-switcher-service --connect $URI" "$libdir" >"$unit"
  if have_user_systemd; then systemctl --user daemon-reload; fi
  install_extension "$extension"
  if have_shell; then
    gnome-extensions enable "$UUID" || echo "install: log out and in once, then: gnome-extensions enable $UUID"
  else
    echo "install: GNOME Shell is not running here; enable it later with: gnome-extensions enable $UUID"
  fi
  echo "Phyllome Switcher installed for $USER: service for $URI (started on demand), extension $UUID."
}

# ------------------------------------------------------------- host-wide
# Installed paths (before DESTDIR). The system bus reads policies from /etc/dbus-1/system.d and
# activation files from /usr/local/share/dbus-1/system-services; polkit reads actions from
# /usr/share/polkit-1/actions only; systemd-sysusers reads /usr/local/lib/sysusers.d too.
SYS_LIBDIR=/usr/local/lib/phyllome-switcher
SYS_UNIT=/usr/local/lib/systemd/system/phyllome-switcher-system.service
SYS_FILES_UNIT=/usr/local/lib/systemd/system/phyllome-switcher-files.service
SYS_FILES_SOCKET=/usr/local/lib/systemd/system/phyllome-switcher-files.socket
SYS_SYSUSERS=/usr/local/lib/sysusers.d/phyllome-switcher.conf
SYS_ACTIVATION=/usr/local/share/dbus-1/system-services/me.phyllo.Switcher1.service
SYS_BUS_POLICY=/etc/dbus-1/system.d/me.phyllo.Switcher1.conf
SYS_INTERFACE=/usr/local/share/dbus-1/interfaces/me.phyllo.Switcher1.xml
SYS_POLKIT=/usr/share/polkit-1/actions/me.phyllo.switcher.policy
SYS_EXTENSION=/usr/local/share/gnome-shell/extensions/$UUID

have_systemd() { [[ -z $DESTDIR ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; }

reload_system() {
  [[ -z $DESTDIR ]] || return 0
  if have_systemd; then systemctl daemon-reload; fi
  # The system bus reads its policies again (and sees the activation file).
  gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.ReloadConfig >/dev/null 2>&1 || true
}

# The service's system user (in libvirt's group) and the workers' group: systemd-sysusers from our
# sysusers.d file where there is one, else groupadd and useradd. They stay on --uninstall, as a
# package's system accounts do: files may still carry their ids.
make_accounts() {
  [[ -z $DESTDIR ]] || return 0
  if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers "$SYS_SYSUSERS"
    return
  fi
  getent group libvirt >/dev/null || groupadd --system libvirt
  getent group phyllome-switcher-worker >/dev/null || groupadd --system phyllome-switcher-worker
  getent passwd phyllome-switcher >/dev/null ||
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      --comment "Phyllome Switcher host-wide service" phyllome-switcher
  usermod --append --groups libvirt phyllome-switcher
}

system_install() {
  [[ -n $DESTDIR || $(id -u) == 0 ]] || { echo "install: --system installs for every user: run it as root" >&2; exit 1; }
  local root=$DESTDIR
  if [[ $UNINSTALL == 1 ]]; then
    if have_systemd; then
      systemctl stop phyllome-switcher-system.service 2>/dev/null || true
      systemctl disable --now phyllome-switcher-files.socket 2>/dev/null || true
      systemctl stop phyllome-switcher-files.service 2>/dev/null || true
    fi
    rm -rf "$root$SYS_LIBDIR" "$root$SYS_EXTENSION"
    rm -f "$root$SYS_UNIT" "$root$SYS_FILES_UNIT" "$root$SYS_FILES_SOCKET" "$root$SYS_SYSUSERS" \
      "$root$SYS_ACTIVATION" "$root$SYS_BUS_POLICY" "$root$SYS_INTERFACE" "$root$SYS_POLKIT"
    reload_system
    echo "Phyllome Switcher removed from this host (the guests are untouched; the system accounts" \
      "phyllome-switcher and phyllome-switcher-worker stay, as a package's do)."
    return
  fi

  build
  local exec="$SYS_LIBDIR/phyllome-switcher-service --host-wide --connect $URI"
  local files_exec="$SYS_LIBDIR/phyllome-switcher-files --connect $URI"
  install_service_files "$root$SYS_LIBDIR"
  for file in "$SYS_UNIT" "$SYS_SYSUSERS" "$SYS_ACTIVATION" "$SYS_BUS_POLICY" "$SYS_INTERFACE" "$SYS_POLKIT"; do
    mkdir -p "$(dirname "$root$file")"
  done
  install -m 0644 data/phyllome-switcher.sysusers "$root$SYS_SYSUSERS"
  make_accounts
  fill data/phyllome-switcher-system.service.in "$exec" "$SYS_LIBDIR" >"$root$SYS_UNIT"
  fill data/phyllome-switcher-files.service.in "$files_exec" "$SYS_LIBDIR" >"$root$SYS_FILES_UNIT"
  install -m 0644 data/phyllome-switcher-files.socket "$root$SYS_FILES_SOCKET"
  fill data/me.phyllo.Switcher1.system-service.in "$exec" "$SYS_LIBDIR" >"$root$SYS_ACTIVATION"
  chmod 0644 "$root$SYS_UNIT" "$root$SYS_FILES_UNIT" "$root$SYS_ACTIVATION"
  install -m 0644 data/me.phyllo.Switcher1.conf "$root$SYS_BUS_POLICY"
  install -m 0644 data/me.phyllo.Switcher1.xml "$root$SYS_INTERFACE"
  install -m 0644 data/me.phyllo.switcher.policy "$root$SYS_POLKIT"
  install_extension "$root$SYS_EXTENSION"
  reload_system
  if have_systemd; then systemctl enable --now phyllome-switcher-files.socket; fi
  echo "Phyllome Switcher installed for every user of this host: the service for $URI on the system bus" \
    "(started on demand, as the system user phyllome-switcher), its guest-files helper (started by" \
    "its socket), the polkit policy, and the extension $UUID (each user enables it:" \
    "gnome-extensions enable $UUID)."
}

if [[ $SYSTEM == 1 ]]; then system_install; else user_install; fi
