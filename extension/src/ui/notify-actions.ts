// A notification with buttons (Attach / Not Now), on GNOME Shell 45's
// MessageTray API and on 46 and later's, which changed its constructors.

import { Main, MessageTray } from '../gi.js';

export interface NotificationAction {
  label: string;
  run: () => void;
}

interface LegacySource {
  showNotification(notification: unknown): void;
}

export function notifyWithActions(title: string, body: string, actions: NotificationAction[]): void {
  const tray = MessageTray as unknown as {
    getSystemSource?: () => MessageTray.Source;
    Source: new (...args: unknown[]) => MessageTray.Source;
    Notification: new (...args: unknown[]) => MessageTray.Notification;
  };
  if (typeof tray.getSystemSource === 'function') {
    const source = tray.getSystemSource();
    const notification = new tray.Notification({ source, title, body, isTransient: false });
    for (const action of actions) notification.addAction(action.label, action.run);
    source.addNotification(notification);
    return;
  }
  // GNOME Shell 45: a source of our own, shown through it.
  const source = new tray.Source('Phyllome Switcher', 'computer-symbolic');
  Main.messageTray.add(source);
  const notification = new tray.Notification(source, title, body);
  for (const action of actions) notification.addAction(action.label, action.run);
  (source as unknown as LegacySource).showNotification(notification);
}
