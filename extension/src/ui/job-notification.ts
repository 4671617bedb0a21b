// One notification per job: it stays while the job runs, its text follows
// the progress, it has a Cancel button; when the job ends it gives way to a
// notification saying how it went. On GNOME Shell 46 and later's
// MessageTray API, with 45's as a fallback.

import { _, Main, MessageTray } from '../gi.js';

interface ModernNotification {
  title: string;
  body: string;
  addAction(label: string, callback: () => void): unknown;
  destroy(): void;
  connect(signal: 'destroy', callback: () => void): number;
}

interface LegacyNotification {
  update(title: string, body: string): void;
  setResident(resident: boolean): void;
  addAction(label: string, callback: () => void): void;
  destroy(): void;
  connect(signal: 'destroy', callback: () => void): number;
}

interface Tray {
  getSystemSource?: () => MessageTray.Source;
  Source: new (...args: unknown[]) => MessageTray.Source;
  Notification: new (...args: unknown[]) => ModernNotification & LegacyNotification;
}

export class JobNotification {
  private notification: (ModernNotification & LegacyNotification) | undefined;
  private readonly legacy: boolean;

  /** Shows `title` and `body` with a Cancel button that calls `onCancel`. */
  constructor(title: string, body: string, onCancel: () => void) {
    const tray = MessageTray as unknown as Tray;
    this.legacy = typeof tray.getSystemSource !== 'function';
    let notification: ModernNotification & LegacyNotification;
    if (!this.legacy) {
      const source = (tray.getSystemSource as () => MessageTray.Source)();
      notification = new tray.Notification({ source, title, body, resident: true, isTransient: false });
      notification.addAction(_('Cancel'), onCancel);
      (source as unknown as { addNotification(n: unknown): void }).addNotification(notification);
    } else {
      const source = new tray.Source('Phyllome Switcher', 'computer-symbolic');
      Main.messageTray.add(source);
      notification = new tray.Notification(source, title, body);
      notification.setResident(true);
      notification.addAction(_('Cancel'), onCancel);
      (source as unknown as { showNotification(n: unknown): void }).showNotification(notification);
    }
    notification.connect('destroy', () => {
      this.notification = undefined;
    });
    this.notification = notification;
  }

  /** New text while the job runs. */
  update(title: string, body: string): void {
    const notification = this.notification;
    if (!notification) return;
    if (this.legacy) {
      notification.update(title, body);
    } else {
      notification.title = title;
      notification.body = body;
    }
  }

  /** The job ended: its outcome, in a notification of its own (shown anew, no Cancel). */
  finish(title: string, body: string): void {
    this.destroy();
    Main.notify(title, body);
  }

  destroy(): void {
    this.notification?.destroy();
    this.notification = undefined;
  }
}
