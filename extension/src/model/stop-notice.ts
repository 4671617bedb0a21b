// What a person is told when a guest stops on its own in a way they did not
// ask for (the service's GuestStopped reason): it crashed, or the host
// stopped it. Other stops (shut down, forced off…) are no news. Pure; the
// words are marked for translation (N_), %s is the guest's name.

import { N_ } from './i18n.js';

export interface StopNotice {
  title: string;
  body: string;
}

const NOTICES: Record<string, StopNotice> = {
  crashed: {
    title: N_('%s crashed'),
    body: N_('Its operating system stopped with an error.'),
  },
  failed: {
    title: N_('%s was stopped by the host'),
    body: N_('Its virtual machine ended unexpectedly, for example because the host ran out of memory.'),
  },
};

/** The notice for a stop, or undefined when the stop is no news. */
export function stopNotice(reason: string): StopNotice | undefined {
  return NOTICES[reason];
}

/** The notification's action that starts the guest again. */
export const START_AGAIN = N_('Start Again');
