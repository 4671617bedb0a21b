// How a guest's state reads in the menu, and which actions it offers.
// Pure, so it is tested without the Shell. The service has the last word
// on what is allowed; this only keeps senseless items out of the menu.
// Labels are marked for translation (N_) and translated where shown.

import { N_ } from './i18n.js';

export type GuestState = 'running' | 'paused' | 'shutoff' | 'crashed' | 'suspended' | 'starting' | 'stopping';

export type GuestAction = 'Start' | 'Resume' | 'Pause' | 'Shutdown' | 'Reboot' | 'ForceOff';

export interface StatePresentation {
  label: string;
  iconName: string;
}

const PRESENTATION: Record<GuestState, StatePresentation> = {
  running: { label: N_('Running'), iconName: 'media-playback-start-symbolic' },
  paused: { label: N_('Paused'), iconName: 'media-playback-pause-symbolic' },
  shutoff: { label: N_('Off'), iconName: 'system-shutdown-symbolic' },
  crashed: { label: N_('Crashed'), iconName: 'dialog-error-symbolic' },
  suspended: { label: N_('Suspended'), iconName: 'weather-clear-night-symbolic' },
  starting: { label: N_('Starting…'), iconName: 'content-loading-symbolic' },
  stopping: { label: N_('Shutting down…'), iconName: 'content-loading-symbolic' },
};

const UNKNOWN: StatePresentation = { label: N_('Unknown'), iconName: 'dialog-question-symbolic' };

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
  Start: N_('Start'),
  Resume: N_('Resume'),
  Pause: N_('Pause'),
  Shutdown: N_('Shut Down'),
  Reboot: N_('Restart'),
  ForceOff: N_('Force Off…'),
};

/** Whether Switch To makes sense: a guest shutting down may be holding on a question only its screen shows. */
export function canSwitchTo(state: string): boolean {
  return isGuestState(state);
}

/** Actions that lose the guest's unsaved work, so they ask first. */
export function needsConfirmation(action: GuestAction): boolean {
  return action === 'ForceOff';
}
