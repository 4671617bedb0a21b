// Guest states as we show them, and how libvirt's states and lifecycle
// events map onto them. Pure: no I/O.

export type GuestState = 'running' | 'paused' | 'shutoff' | 'crashed' | 'suspended' | 'starting' | 'stopping';

/** The states of a guest that is down: no QEMU process runs for it. */
export const DOWN_STATES: readonly GuestState[] = ['shutoff', 'crashed'];

export function isDown(state: GuestState): boolean {
  return DOWN_STATES.includes(state);
}

export type GuestAction = 'Start' | 'Shutdown' | 'ForceOff' | 'Reboot' | 'Pause' | 'Resume';

// virDomainState
const enum DomainState {
  NoState = 0,
  Running = 1,
  Blocked = 2,
  Paused = 3,
  Shutdown = 4,
  Shutoff = 5,
  Crashed = 6,
  PMSuspended = 7,
}

const SHUTOFF_CRASHED = 3; // virDomainShutoffReason

/** virDomainGetState's (state, reason) as one of our states. */
export function stateFromLibvirt(state: number, reason: number): GuestState {
  switch (state) {
    case DomainState.Running:
    case DomainState.Blocked:
    case DomainState.NoState:
      return 'running';
    case DomainState.Paused:
      return 'paused';
    case DomainState.Shutdown:
      return 'stopping';
    case DomainState.Shutoff:
      return reason === SHUTOFF_CRASHED ? 'crashed' : 'shutoff';
    case DomainState.Crashed:
      return 'crashed';
    case DomainState.PMSuspended:
      return 'suspended';
    default:
      return 'shutoff';
  }
}

// virDomainEventType
export const enum DomainEvent {
  Defined = 0,
  Undefined = 1,
  Started = 2,
  Suspended = 3,
  Resumed = 4,
  Stopped = 5,
  Shutdown = 6,
  PMSuspended = 7,
  Crashed = 8,
}

const STOPPED_CRASHED = 2; // virDomainEventStoppedDetailType

// virDomainEventCrashedDetailType
export const enum CrashedDetail {
  /** The guest's OS panicked: QEMU stopped its CPUs, and libvirt applies its on_crash. */
  Panicked = 0,
  /** Its OS loaded a crash kernel (pvpanic "crash loaded") and runs on, writing its dump. */
  CrashLoaded = 1,
}

/**
 * The state a lifecycle event puts a guest in, read from the event alone so
 * that no round trip to libvirt stands between the event and our signal.
 * undefined: the event says nothing about the running state.
 */
export function stateFromEvent(event: number, detail: number): GuestState | undefined {
  switch (event) {
    case DomainEvent.Started:
    case DomainEvent.Resumed:
      return 'running';
    case DomainEvent.Suspended:
      return 'paused';
    case DomainEvent.Stopped:
      return detail === STOPPED_CRASHED ? 'crashed' : 'shutoff';
    case DomainEvent.Shutdown:
      return 'stopping';
    case DomainEvent.PMSuspended:
      return 'suspended';
    case DomainEvent.Crashed:
      // Crash loaded: libvirt keeps it running (a detail newer than these is taken as a panic).
      return detail === CrashedDetail.CrashLoaded ? undefined : 'crashed';
    default:
      return undefined;
  }
}

/**
 * Our own states, which libvirt has no word for, and the states of libvirt's
 * that they stand over: a guest asked to start still reads as shut off, one
 * asked to shut down (ACPI) still reads as running, until it gets there.
 */
const HELD_OVER: Partial<Record<GuestState, readonly GuestState[]>> = {
  starting: ['shutoff', 'crashed'],
  stopping: ['running'],
};

/** Whether a state of ours still stands once libvirt reads `read`. */
export function stillHeld(held: GuestState, read: GuestState): boolean {
  return HELD_OVER[held]?.includes(read) ?? false;
}

const ALLOWED: Record<GuestAction, readonly GuestState[]> = {
  Start: ['shutoff', 'crashed'],
  Shutdown: ['running'],
  ForceOff: ['running', 'paused', 'suspended', 'starting', 'stopping', 'crashed'],
  Reboot: ['running'],
  Pause: ['running'],
  Resume: ['paused'],
};

const WHY_NOT: Partial<Record<GuestState, string>> = {
  shutoff: 'it is shut off',
  paused: 'it is paused',
  running: 'it is already running',
  crashed: 'it has crashed',
  suspended: 'it is suspended to memory',
  starting: 'it is starting',
  stopping: 'it is shutting down',
};

/** undefined when the action makes sense in this state, else why it does not. */
export function whyActionRefused(action: GuestAction, state: GuestState): string | undefined {
  if (ALLOWED[action].includes(state)) return undefined;
  return `Cannot ${ACTION_VERB[action]} guest: ${WHY_NOT[state] ?? `it is ${state}`}`;
}

const ACTION_VERB: Record<GuestAction, string> = {
  Start: 'start',
  Shutdown: 'shut down',
  ForceOff: 'force off',
  Reboot: 'reboot',
  Pause: 'pause',
  Resume: 'resume',
};
