// Notifications of ours: plain ones, and those with buttons (Attach / Not
// Now), on GNOME Shell 45's MessageTray API and on 46 and later's. Every one
// comes from our own source, which destroy() takes away with all its
// notifications, so no button outlives the extension (a click after a
// disable calls nothing of ours).

import { Main, MessageTray } from '../gi.js';

export interface NotificationAction {
  label: string;
  run: () => void;
}

interface TrayApi {
  Source: new (...args: unknown[]) => MessageTray.Source;
  Notification: new (...args: unknown[]) => MessageTray.Notification;
}

const tray = MessageTray as unknown as TrayApi;
// GNOME Shell 46 made sources and notifications from property bags; 45 took arguments.
const modern = 'getSystemSource' in MessageTray;

export class Notifier {
  private source: MessageTray.Source | undefined;

  constructor(
    private readonly title: string,
    private readonly iconName = 'computer-symbolic',
  ) {}

  notify(title: string, body: string, actions: NotificationAction[] = []): void {
    const source = this.ensureSource();
    let alive = true;
    const notification = modern
      ? new tray.Notification({ source, title, body, isTransient: actions.length === 0 })
      : new tray.Notification(source, title, body);
    notification.connect('destroy', () => {
      alive = false;
    });
    for (const action of actions) {
      notification.addAction(action.label, () => {
        if (alive) action.run();
      });
    }
    if (modern) source.addNotification(notification);
    else (source as unknown as { showNotification(n: unknown): void }).showNotification(notification);
  }

  /** Takes every notification of ours away. */
  destroy(): void {
    this.source?.destroy(MessageTray.NotificationDestroyedReason.SOURCE_CLOSED);
    this.source = undefined;
  }

  private ensureSource(): MessageTray.Source {
    if (this.source) return this.source;
    const source = modern
      ? new tray.Source({ title: this.title, iconName: this.iconName })
      : new tray.Source(this.title, this.iconName);
    source.connect('destroy', () => {
      if (this.source === source) this.source = undefined;
    });
    Main.messageTray.add(source);
    this.source = source;
    return source;
  }
}
