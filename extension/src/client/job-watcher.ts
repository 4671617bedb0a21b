// The service's jobs (Export, Import, Clone, MigrateTo) as the Shell follows
// them: subscribed on the connection before any job is started, so not even
// a job that ends at once is missed; each job's progress and its one ending
// go to the listener that asked for it.

import { Gio, GLib } from '../gi-shared.js';
import { JOB_INTERFACE } from './switcher1.js';

const PROPERTIES = 'org.freedesktop.DBus.Properties';
/** Endings kept for jobs nobody watches yet (a reply still on its way to its caller). */
const KEEP_ENDINGS = 16;

export interface JobProgress {
  progress: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface JobEnding {
  success: boolean;
  /** The service's sentence: what happened, or why not. */
  message: string;
  /** succeeded, failed or cancelled. */
  state: string;
}

export interface JobListener {
  progress(progress: JobProgress): void;
  completed(ending: JobEnding): void;
}

export class JobWatcher {
  private connection: Gio.DBusConnection | undefined;
  private readonly subscriptions: number[] = [];
  private readonly listeners = new Map<string, JobListener>();
  private readonly states = new Map<string, string>();
  private readonly endings = new Map<string, JobEnding>();

  constructor(private readonly busName: string) {}

  /** Subscribes on the service's bus; before the first job is started there. */
  start(connection: Gio.DBusConnection): void {
    this.stop();
    this.connection = connection;
    const flags = Gio.DBusSignalFlags.NONE;
    this.subscriptions.push(
      connection.signal_subscribe(this.busName, JOB_INTERFACE, 'Completed', null, null, flags, (...args) =>
        this.onCompleted(args[2], args[5]),
      ),
      // arg0 of PropertiesChanged is the interface: only jobs'.
      connection.signal_subscribe(
        this.busName,
        PROPERTIES,
        'PropertiesChanged',
        null,
        JOB_INTERFACE,
        flags,
        (...args) => this.onChanged(args[2], args[5]),
      ),
    );
  }

  /** Follows a job until it ends (at once, if it already has). */
  watch(path: string, listener: JobListener): void {
    const ending = this.endings.get(path);
    if (ending) {
      this.endings.delete(path);
      listener.completed(ending);
      return;
    }
    this.listeners.set(path, listener);
  }

  stop(): void {
    for (const id of this.subscriptions.splice(0)) this.connection?.signal_unsubscribe(id);
    this.listeners.clear();
    this.endings.clear();
    this.states.clear();
  }

  private onChanged(path: string, parameters: GLib.Variant): void {
    const [, changed] = parameters.deepUnpack() as [string, Record<string, GLib.Variant>];
    const state = changed.State?.deepUnpack() as string | undefined;
    if (state) this.states.set(path, state);
    if (!changed.Progress) return;
    this.listeners.get(path)?.progress({
      progress: changed.Progress.deepUnpack() as number,
      bytesDone: Number(changed.BytesDone?.deepUnpack() ?? 0),
      bytesTotal: Number(changed.BytesTotal?.deepUnpack() ?? 0),
    });
  }

  private onCompleted(path: string, parameters: GLib.Variant): void {
    const [success, message] = parameters.deepUnpack() as [boolean, string];
    const ending = { success, message, state: this.states.get(path) ?? (success ? 'succeeded' : 'failed') };
    this.states.delete(path);
    const listener = this.listeners.get(path);
    this.listeners.delete(path);
    if (listener) {
      listener.completed(ending);
      return;
    }
    this.endings.set(path, ending);
    for (const old of [...this.endings.keys()].slice(0, Math.max(0, this.endings.size - KEEP_ENDINGS)))
      this.endings.delete(old);
  }
}
