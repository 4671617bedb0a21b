// Tells the service which guest has the focus ('/' for the host), for USB
// devices that follow the focused guest. Only changes are reported.

import type { ViewerWindows } from './viewer-windows.js';

export class FocusReporter {
  private handler = 0;
  private last = '';

  constructor(
    private readonly windows: ViewerWindows,
    private readonly report: (guestPath: string) => void,
  ) {}

  start(): void {
    this.handler = global.display.connect('notify::focus-window', () => this.check());
  }

  stop(): void {
    if (this.handler) global.display.disconnect(this.handler);
    this.handler = 0;
  }

  /** Reports again (the service restarted and forgot). */
  resend(): void {
    this.last = '';
    this.check();
  }

  private check(): void {
    const focused = this.windows.focusedGuest() ?? '/';
    if (focused === this.last) return;
    this.last = focused;
    this.report(focused);
  }
}
