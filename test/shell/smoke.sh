#!/usr/bin/env bash
# Smoke test of the GNOME Shell harness: builds the root (cached), installs two
# hand-written ESM extensions into a private data home, starts the Shell,
# enables one over D-Bus (EnableExtension) and one through gsettings before
# start (run-shell.sh --enable), checks their states (1 ACTIVE / 3 ERROR),
# finds the broken one's error in the Shell log, opens the good one's menu
# and saves a screenshot to .cache/artifacts/smoke.png.
# Exits 0 only if every check passes and nothing is left running or mounted.
#   test/shell/smoke.sh [--shell N]     (GNOME Shell N, default 48)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/shell/shells.sh
source "$HERE/shells.sh"
GOOD=smoke@phyllo.me
BAD=smoke-broken@phyllo.me

fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
ok() { echo "smoke: ok: $*"; }

# ---- part run by run-shell.sh as its CMD, on the host ----------------------
if [[ ${1:-} == --in-shell ]]; then
  ART=$2
  gd() { "$HERE/in-root.sh" gdbus call --timeout 10 --session --dest org.gnome.Shell \
    --object-path /org/gnome/Shell "$@"; }
  state() { gd --method org.gnome.Shell.Extensions.GetExtensionInfo "$1" \
    | grep -o "'state': <[0-9.]*>" | grep -o '[0-9]' | head -n1; }

  # Both were found by the startup scan of the private data home.
  for u in "$GOOD" "$BAD"; do
    gd --method org.gnome.Shell.Extensions.ListExtensions | grep -qF "'$u'" || fail "$u not listed"
  done

  # Enabled through gsettings before start, and it throws: ERROR with a message.
  [[ $(state "$BAD") == 3 ]] || fail "$BAD state is $(state "$BAD"), want 3"
  gd --method org.gnome.Shell.Extensions.GetExtensionInfo "$BAD" | grep -qF 'smoke: deliberate failure' \
    || fail "$BAD error not reported by GetExtensionInfo"
  ok "$BAD is in state 3 (ERROR) with its error text"

  # Not enabled yet; enable over D-Bus and wait for ACTIVE.
  [[ $(state "$GOOD") != 1 ]] || fail "$GOOD active before being enabled"
  gd --method org.gnome.Shell.Extensions.EnableExtension "$GOOD" | grep -q true || fail "EnableExtension returned false"
  for _ in $(seq 50); do [[ $(state "$GOOD") == 1 ]] && break; sleep 0.1; done
  [[ $(state "$GOOD") == 1 ]] || fail "$GOOD state is $(state "$GOOD"), want 1"
  ok "$GOOD enabled through EnableExtension, state 1 (ACTIVE)"

  # The label is really in the top bar, and its menu opens.
  label=$("$HERE/shell-eval.sh" "Main.panel.statusArea['$GOOD'].get_first_child().text")
  [[ $label == '"Phyllome smoke"' ]] || fail "label is $label"
  "$HERE/shell-eval.sh" "Main.panel.statusArea['$GOOD'].menu.open(false); true" >/dev/null
  [[ $("$HERE/shell-eval.sh" "Main.panel.statusArea['$GOOD'].menu.isOpen") == true ]] || fail "menu did not open"
  ok "label '$label' is in Main.panel and its menu is open"

  sleep 0.3 # let the menu paint before the capture
  "$HERE/shell-screenshot.sh" "$ART/smoke.png"
  [[ $(head -c 8 "$ART/smoke.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "not a PNG"
  ok "screenshot saved to $ART/smoke.png ($(stat -c %s "$ART/smoke.png") bytes)"

  # Messages from the extensions, read from the Shell's log.
  grep -qF "$GOOD: enabled" "$SHELL_TEST_LOG" || fail "console.log of $GOOD not in the log"
  "$HERE/shell-log.sh" "$BAD" "$SHELL_TEST_LOG" | grep -qF 'smoke: deliberate failure' \
    || fail "error of $BAD not found by shell-log.sh"
  # An error thrown later, in one of its signal handlers ("JS ERROR").
  "$HERE/shell-eval.sh" "Main.panel.statusArea['$GOOD'].menu._getMenuItems()[0].emit('activate', null); true" >/dev/null || true
  for _ in $(seq 20); do
    "$HERE/shell-log.sh" --errors "$GOOD" "$SHELL_TEST_LOG" | grep -qF 'smoke: callback failure' && break
    sleep 0.1
  done
  "$HERE/shell-log.sh" --errors "$GOOD" "$SHELL_TEST_LOG" | grep -qF 'smoke: callback failure' \
    || fail "callback error of $GOOD not found by shell-log.sh"
  ok "console output and JS errors of the extensions found in the log:"
  "$HERE/shell-log.sh" --errors "$GOOD" "$SHELL_TEST_LOG" | sed 's/^/    /'

  # Disable cleanly as well.
  gd --method org.gnome.Shell.Extensions.DisableExtension "$GOOD" | grep -q true || fail "DisableExtension"
  for _ in $(seq 50); do [[ $(state "$GOOD") == 2 ]] && break; sleep 0.1; done
  [[ $("$HERE/shell-eval.sh" "Main.panel.statusArea['$GOOD'] === undefined") == true ]] || fail "button left after disable"
  ok "$GOOD disabled, button removed"
  exit 0
fi

# ---- outer part --------------------------------------------------------------
SHELL_MAJOR=48
[[ ${1:-} == --shell ]] && SHELL_MAJOR=$2
"$HERE/build-rootfs.sh" --shell "$SHELL_MAJOR"
ROOT=$(suite_root "$(shell_suite "$SHELL_MAJOR")" "$REPO")

ART=$REPO/.cache/artifacts
mkdir -p "$ART"
rm -f "$ART/smoke.png" "$ART/smoke-shell.log"
WORK=$(mktemp -d /tmp/phyllome-smoke.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT
EXT=$WORK/data/gnome-shell/extensions

mkdir -p "$EXT/$GOOD" "$EXT/$BAD"
cat >"$EXT/$GOOD/metadata.json" <<EOF
{"uuid": "$GOOD", "name": "Phyllome smoke", "description": "Harness smoke test", "shell-version": ["$SHELL_MAJOR"]}
EOF
cat >"$EXT/$GOOD/extension.js" <<'EOF'
import Clutter from 'gi://Clutter';
import St from 'gi://St';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as PanelMenu from 'resource:///org/gnome/shell/ui/panelMenu.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';

export default class SmokeExtension extends Extension {
    enable() {
        this._button = new PanelMenu.Button(0.0, 'Phyllome smoke', false);
        this._button.add_child(new St.Label({
            text: 'Phyllome smoke',
            y_align: Clutter.ActorAlign.CENTER,
        }));
        const item = new PopupMenu.PopupMenuItem('Smoke menu item');
        // A runtime error in a callback, to show how those reach the log.
        item.connect('activate', () => {
            throw new Error('smoke: callback failure');
        });
        this._button.menu.addMenuItem(item);
        Main.panel.addToStatusArea(this.uuid, this._button);
        console.log(`${this.uuid}: enabled`);
    }

    disable() {
        this._button?.destroy();
        this._button = null;
    }
}
EOF
cat >"$EXT/$BAD/metadata.json" <<EOF
{"uuid": "$BAD", "name": "Phyllome smoke (broken)", "description": "Throws on enable", "shell-version": ["$SHELL_MAJOR"]}
EOF
cat >"$EXT/$BAD/extension.js" <<'EOF'
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';

export default class BrokenExtension extends Extension {
    enable() {
        console.warn(`${this.uuid}: about to fail`);
        throw new Error('smoke: deliberate failure');
    }

    disable() {}
}
EOF

"$HERE/run-shell.sh" --shell "$SHELL_MAJOR" --data-home "$WORK/data" --enable "$BAD" --log "$ART/smoke-shell.log" \
  -- "${BASH_SOURCE[0]}" --in-shell "$ART"

# run-shell.sh already checks its namespace; check again from outside.
if grep -qF "$ROOT/" /proc/self/mountinfo; then fail "mounts left under the root"; fi
for p in /proc/[0-9]*; do
  if [[ $(readlink "$p/root" 2>/dev/null) == "$ROOT" ]]; then fail "process ${p#/proc/} left in the root"; fi
done
ok "no process and no mount left"
echo "smoke: 1 passed, 0 failed"
