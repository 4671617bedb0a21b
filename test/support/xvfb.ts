// A private X server for tests that need a display (virt-viewer's windows).

import { existsSync, watch } from 'node:fs';
import type { ProcessGroup } from './processes.js';
import { waitFor } from './wait.js';

/**
 * Starts Xvfb on a free display number; resolves to its DISPLAY value. anyUser: clients of every user (-ac);
 * fbdir: the screen kept in FBDIR/Xvfb_screen0 as it is drawn, an XWD image (xwd.ts reads it).
 */
export async function startXvfb(
  group: ProcessGroup,
  options: { anyUser?: boolean; fbdir?: string } = {},
): Promise<string> {
  let display = 90;
  while (existsSync(`/tmp/.X11-unix/X${display}`) || existsSync(`/tmp/.X${display}-lock`)) display++;
  const access = options.anyUser ? ['-ac'] : [];
  const xvfb = group.start('Xvfb', 'Xvfb', [
    `:${display}`,
    '-screen',
    '0',
    '1280x800x24',
    '-nolisten',
    'tcp',
    ...access,
    ...(options.fbdir ? ['-fbdir', options.fbdir] : []),
  ]);
  // Its socket's appearance, seen by inotify (looked for every 20 ms when Xvfb has yet to make the folder).
  const sockets = existsSync('/tmp/.X11-unix') ? watch('/tmp/.X11-unix') : undefined;
  try {
    await waitFor(
      () => {
        if (!xvfb.running) throw new Error(`Xvfb exited: ${xvfb.output()}`);
        return existsSync(`/tmp/.X11-unix/X${display}`);
      },
      {
        what: `Xvfb's socket for :${display}`,
        timeoutMs: 5_000,
        on: sockets
          ? [
              [sockets, 'change'],
              [xvfb.child, 'exit'],
            ]
          : [],
      },
    );
  } finally {
    sockets?.close();
  }
  return `:${display}`;
}
