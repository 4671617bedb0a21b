#!/usr/bin/env bash
# Smoke test of run-shell.sh --window (GNOME Shell 48: mutter 50 has no
# nested mode): starts a private Xvfb (installs xvfb,
# imagemagick and x11-utils with apt-get if missing), runs the Shell nested in
# a window on it, checks ShellVersion 48.x and the nested backend over D-Bus,
# takes a Shell screenshot (org.gnome.Shell.Screenshot) and a capture of the
# X root window, and checks that the Shell's window is on the X display and
# shows the same picture as the screenshot. Artifacts: .cache/artifacts/
# window-shell.png, window-root.png, window-shell.log.
# Exits 0 only if every check passes; Xvfb is stopped by PID at exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

fail() { echo "window-smoke: FAIL: $*" >&2; exit 1; }
ok() { echo "window-smoke: ok: $*"; }

# ---- part run by run-shell.sh as its CMD, on the host ----------------------
if [[ ${1:-} == --in-shell ]]; then
  ART=$2
  v=$("$HERE/shell-eval.sh" 'Config.PACKAGE_VERSION')
  [[ $v == '"48.'* ]] || fail "Config.PACKAGE_VERSION is $v"
  p=$("$HERE/in-root.sh" gdbus call --timeout 10 --session --dest org.gnome.Shell --object-path /org/gnome/Shell \
    --method org.freedesktop.DBus.Properties.Get org.gnome.Shell ShellVersion)
  [[ $p == *"'48."* ]] || fail "ShellVersion is $p"
  b=$("$HERE/shell-eval.sh" 'global.backend.constructor.name')
  [[ $b == *X11Nested* ]] || fail "backend is $b, not the nested one"
  ok "ShellVersion $p, backend $b"

  "$HERE/shell-screenshot.sh" "$ART/window-shell.png"
  ok "Shell screenshot $ART/window-shell.png"

  # The Shell's toplevel X window, 1280x800 (one monitor).
  win=$(xwininfo -root -tree | grep -F '"gnome-shell"' || true)
  [[ $win == *' 1280x800+'* ]] || fail "no 1280x800 gnome-shell window on $DISPLAY: '$win'"
  geom=$(grep -o '[0-9]*x[0-9]*+[0-9-]*+[0-9-]*' <<<"$win" | head -n1)
  ok "X window \"gnome-shell\" $geom on $DISPLAY"
  import -display "$DISPLAY" -window root "$ART/window-root.png"
  # Its area of the root window must match the screenshot (cursor and clock
  # aside) and not be blank.
  mean=$(convert "$ART/window-root.png" -crop "$geom" +repage -format '%[fx:mean]' info:)
  awk -v m="$mean" 'BEGIN { exit !(m > 0.05) }' || fail "window area of the root capture is blank (mean $mean)"
  rmse=$(convert "$ART/window-root.png" -crop "$geom" +repage "$ART/window-shell.png" \
    -metric RMSE -compare -format '%[distortion]' info: 2>&1 || true)
  awk -v d="$rmse" 'BEGIN { exit !(d + 0 < 0.05) }' || fail "root capture differs from the screenshot (RMSE $rmse)"
  ok "root capture $ART/window-root.png shows the Shell at $geom (RMSE vs screenshot $rmse)"
  exit 0
fi

# ---- outer part --------------------------------------------------------------
[[ $(id -u) == 0 ]] || fail "must run as root"
if ! command -v Xvfb >/dev/null || ! command -v import >/dev/null || ! command -v xwininfo >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb imagemagick x11-utils >/dev/null
fi
"$HERE/build-rootfs.sh" --shell 48

ART=$REPO/.cache/artifacts
mkdir -p "$ART"
rm -f "$ART/window-shell.png" "$ART/window-root.png" "$ART/window-shell.log"

# Xvfb picks a free display number itself and writes it to fd 3.
WORK=$(mktemp -d /tmp/phyllome-window.XXXXXX)
XVFB=
cleanup() {
  set +e
  if [[ -n $XVFB ]]; then
    kill -TERM "$XVFB" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$XVFB" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$XVFB" 2>/dev/null
    wait "$XVFB" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
Xvfb -displayfd 3 -nolisten tcp -screen 0 1600x1000x24 3>"$WORK/display" >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
for _ in $(seq 100); do [[ -s $WORK/display ]] && break; kill -0 "$XVFB" 2>/dev/null || break; sleep 0.1; done
[[ -s $WORK/display ]] || { cat "$WORK/xvfb.log" >&2; fail "Xvfb did not start"; }
DISPLAY=:$(head -n1 "$WORK/display")
export DISPLAY
ok "Xvfb (pid $XVFB) on $DISPLAY"

"$HERE/run-shell.sh" --window --log "$ART/window-shell.log" -- "${BASH_SOURCE[0]}" --in-shell "$ART"

# run-shell.sh checks its own namespace; the host must have no mount either.
if grep -qF "$REPO/.cache/shell-rootfs-trixie/" /proc/self/mountinfo; then fail "mounts left under the root"; fi
ok "no mount left"
echo "window-smoke: 1 passed, 0 failed"
