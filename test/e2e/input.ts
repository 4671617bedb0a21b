// A keyboard and a pointer for the headless Shell, as real devices would
// be: Clutter virtual input devices, whose events take the same path as a
// real keyboard's (keybindings, shortcut inhibition, focus).

import type { ShellDriver } from './shell.js';

// The stage's context gives the backend in every Shell we run in (48-51);
// Clutter.get_default_backend() is gone in 51.
const SETUP = `(() => {
  const Clutter = imports.gi.Clutter;
  const seat = global.stage.context.get_backend().get_default_seat();
  globalThis.__phyKeyboard ??= seat.create_virtual_device(Clutter.InputDeviceType.KEYBOARD_DEVICE);
  globalThis.__phyPointer ??= seat.create_virtual_device(Clutter.InputDeviceType.POINTER_DEVICE);
  return true;
})()`;

export async function createInputDevices(shell: ShellDriver): Promise<void> {
  await shell.eval(SETUP);
}

/**
 * Presses and releases a chord such as ['Super_L', 'Alt_L', '1'] (Clutter key
 * names without KEY_); returns the monotonic time (µs) of the last press.
 */
export function pressChord(shell: ShellDriver, keys: string[]): Promise<number> {
  const names = JSON.stringify(keys);
  return shell.eval<number>(`(() => {
    const {Clutter, GLib} = imports.gi;
    const keyboard = globalThis.__phyKeyboard;
    const keyvals = ${names}.map((k) => Clutter['KEY_' + k]);
    let pressedAt = 0;
    for (const keyval of keyvals) {
      pressedAt = GLib.get_monotonic_time();
      keyboard.notify_keyval(pressedAt, keyval, Clutter.KeyState.PRESSED);
    }
    for (const keyval of [...keyvals].reverse())
      keyboard.notify_keyval(GLib.get_monotonic_time(), keyval, Clutter.KeyState.RELEASED);
    return pressedAt;
  })()`);
}

/**
 * Moves the pointer to (x, y) and resolves once the Shell has it there. Mutter
 * 50 and later handle virtual input on a thread of their own, and may keep
 * only one axis of a new virtual pointer's first motion (it landed at (0, 400)
 * for (1920, 400)): a motion not seen within a while is sent again.
 */
export async function movePointer(shell: ShellDriver, x: number, y: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const move = `(() => {
    globalThis.__phyPointer.notify_absolute_motion(imports.gi.GLib.get_monotonic_time(), ${x}, ${y});
    return true;
  })()`;
  const there = (at: number[]): boolean => at[0] === x && at[1] === y;
  for (;;) {
    await shell.eval(move);
    try {
      await shell.waitFor<number[]>('global.get_pointer().slice(0, 2)', there, 1_000);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the pointer did not reach (${x}, ${y}): ${String(error)}`);
    }
  }
}

/** Types text on the virtual keyboard, one key per character (mutter adds Shift where the keymap needs it). */
export function typeText(shell: ShellDriver, text: string): Promise<unknown> {
  return shell.eval(`(() => {
    const {Clutter, GLib} = imports.gi;
    const keyboard = globalThis.__phyKeyboard;
    for (const char of ${JSON.stringify(text)}) {
      const keyval = Clutter.unicode_to_keysym(char.codePointAt(0));
      keyboard.notify_keyval(GLib.get_monotonic_time(), keyval, Clutter.KeyState.PRESSED);
      keyboard.notify_keyval(GLib.get_monotonic_time(), keyval, Clutter.KeyState.RELEASED);
    }
    return true;
  })()`);
}
