// Types for gjs: its globals (print, ARGV) and gi:// modules.
import '@girs/gjs';
import '@girs/gio-2.0';
import '@girs/glib-2.0';
