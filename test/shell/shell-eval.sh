#!/usr/bin/env bash
# Evaluate JS in the running Shell (org.gnome.Shell.Eval, needs the
# --unsafe-mode that run-shell.sh sets) and print the result: the Shell's
# JSON.stringify of the value ('"abc"' for a string, '' for undefined).
# Exit 1 if the code threw (the error text is printed on stderr).
#   test/shell/shell-eval.sh 'Main.panel.statusArea.dateMenu !== undefined'
# Only valid inside run-shell.sh's CMD. Uses gjs inside the root so the host
# needs no D-Bus tools.
set -euo pipefail
[[ $# == 1 ]] || { echo "usage: shell-eval.sh JS" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$HERE/in-root.sh" gjs -c '
const {Gio, GLib} = imports.gi;
const reply = Gio.DBus.session.call_sync("org.gnome.Shell", "/org/gnome/Shell",
    "org.gnome.Shell", "Eval", new GLib.Variant("(s)", [ARGV[0]]),
    new GLib.VariantType("(bs)"), Gio.DBusCallFlags.NONE, 30000, null);
const [ok, out] = reply.deepUnpack();
if (ok)
    print(out);
else
    printerr(out);
imports.system.exit(ok ? 0 : 1);
' "$1"
