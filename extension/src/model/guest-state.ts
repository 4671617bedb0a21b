// How a guest's state reads in the menu, and which actions it offers.
// Pure, so it is tested without the Shell. The service has the last word
// on what is allowed; this only keeps senseless items out of the menu.

export type GuestState = 'running' | 'paused' | 'shutoff' | 'crashed' | 'suspended' | 'starting' | 'stopping';

export type GuestAction = 'Start' | 'Resume' | 'Pause' | 'Shutdown' | 'Reboot' | 'ForceOff';

export interface StatePresentation {
  label: string;
  iconName: string;
}

const PRESENTATION: Record<GuestState, StatePresentation> = {
  running: { label: 'Running', iconName: 'media-playback-start-symbolic' },
  paused: { label: 'Paused', iconName: 'media-playback-pause-symbolic' },
  shutoff: { label: 'Off', iconName: 'system-shutdown-symbolic' },
  crashed: { label: 'Crashed', iconName: 'dialog-error-symbolic' },
  suspended: { label: 'Suspended', iconName: 'weather-clear-night-symbolic' },
  starting: { label: 'Starting…', iconName: 'content-loading-symbolic' },
  stopping: { label: 'Shutting down…', iconName: 'content-loading-symbolic' },
};

const UNKNOWN: StatePresentation = { label: 'Unknown', iconName: 'dialog-question-symbolic' };

export function isGuestState(value: unknown): value is GuestState {
  return typeof value === 'string' && value in PRESENTATION;
}

export function presentState(state: string): StatePresentation {
  return isGuestState(state) ? PRESENTATION[state] : UNKNOWN;
}

// Menu order: the likely next step first, the drastic one last.
const ACTIONS: Record<GuestState, GuestAction[]> = {
  running: ['Pause', 'Shutdown', 'Reboot', 'ForceOff'],
  paused: ['Resume', 'ForceOff'],
  shutoff: ['Start'],
  crashed: ['Start', 'ForceOff'],
  suspended: ['ForceOff'],
  starting: ['ForceOff'],
  stopping: ['ForceOff'],
};

export function actionsFor(state: string): GuestAction[] {
  return isGuestState(state) ? ACTIONS[state] : [];
}

export const ACTION_LABEL: Record<GuestAction, string> = {
  Start: 'Start',
  Resume: 'Resume',
  Pause: 'Pause',
  Shutdown: 'Shut Down',
  Reboot: 'Restart',
  ForceOff: 'Force Off…',
};

/** Actions that lose the guest's unsaved work, so they ask first. */
export function needsConfirmation(action: GuestAction): boolean {
  return action === 'ForceOff';
}
