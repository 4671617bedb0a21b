// Types for GJS and GNOME Shell's modules (gi://…, resource:///…).
import '@girs/gjs';
import '@girs/gjs/dom';
import '@girs/gnome-shell/ambient';
import '@girs/gnome-shell/extensions/global';
