#!/usr/bin/env bash
# Print the Shell log records that concern one extension: its console.*
# output and every error whose message or stack trace names it (errors
# thrown in enable()/disable() are logged as "Extension UUID: ...", errors in
# its callbacks as "JS ERROR" with stack frames in .../extensions/UUID/...).
#   test/shell/shell-log.sh [--errors] UUID [LOG]     (LOG: $SHELL_TEST_LOG)
# --errors keeps only WARNING/CRITICAL/ERROR records. Always exits 0.
set -euo pipefail
LEVELS='.'
if [[ ${1:-} == --errors ]]; then LEVELS='(WARNING|CRITICAL|ERROR|JS ERROR)'; shift; fi
[[ $# -ge 1 ]] || { echo "usage: shell-log.sh [--errors] UUID [LOG]" >&2; exit 2; }
UUID=$1
LOG=${2:-${SHELL_TEST_LOG:?give LOG or run inside run-shell.sh}}
# A record starts at a GLib log line ("(prog:pid): Domain-LEVEL **: ..." or
# "Domain-Message: ...") or a dbus-daemon/dbusmock line; the indented stack
# trace and blank lines after it belong to it.
awk -v uuid="$UUID" -v levels="$LEVELS" '
  function flush() { if (rec != "" && index(rec, uuid) && rec ~ levels) printf "%s", rec; rec = "" }
  /^\([^)]*\): [^ ].*\*\*: / || /^[A-Za-z][A-Za-z0-9 _.-]*-(Message|Warning|Critical|Debug|Info): / \
    || /^\*\* (Message|Warning|Critical)/ || /^dbus-daemon\[/ || /^[0-9]+\.[0-9]+ / { flush() }
  { rec = rec $0 "\n" }
  END { flush() }
' "$LOG"
