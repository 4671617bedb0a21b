# Sourced by the Shell harness: the table of test/shell/shells.txt, and where
# each suite's root lives. One root per suite, each with its own folder and
# stamp, so that asking for one Shell can never build or run another.

SHELLS_TABLE=$(dirname "${BASH_SOURCE[0]}")/shells.txt

# Rows of the table without comments: "shell suite [extras]".
shells_rows() { grep -v '^\s*\(#\|$\)' "$SHELLS_TABLE"; }

# The suite that ships GNOME Shell major version $1, or nothing.
shell_suite() { shells_rows | awk -v v="$1" '$1 == v { print $2 }'; }

# The GNOME Shell major version suite $1 ships, or nothing.
suite_shell() { shells_rows | awk -v s="$1" '$2 == s { print $1 }'; }

# Whether suite $1's root carries extra $2 (e.g. libvirt).
suite_has() { shells_rows | awk -v s="$1" -v e="$2" '$2 == s { for (i = 3; i <= NF; i++) if ($i == e) f = 1 } END { exit !f }'; }

# Every major version in the table, in its order.
shells_all() { shells_rows | awk '{ print $1 }'; }

# The default root of suite $1 in checkout $2.
suite_root() { echo "$2/.cache/shell-rootfs-$1"; }
