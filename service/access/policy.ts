// Who may act on what, decided from facts alone (pure; authority.ts gathers
// the facts). A seat is a boundary between the people at one PC: the active,
// local session of a seat acts freely on what is of its seat or of none; any
// other caller — on another seat, in the background, remote, or placed
// nowhere by logind — needs polkit's yes. No answer is a no.

export const OTHER_SEAT_ACTION = 'me.phyllo.switcher.manage-other-seat';
/** Cancelling a job another user started (udisks2's cancel-job-other-user). */
export const OTHER_USERS_JOB_ACTION = 'me.phyllo.switcher.cancel-job-other-user';

/** polkit's CheckAuthorization flag AllowUserInteraction. */
const ALLOW_USER_INTERACTION = 1;

/** Where a caller sits, as logind says: its session and that session's seat. */
export interface CallerPlace {
  /** logind's session id. */
  session: string;
  /** The session's seat; '' for a session on no seat (ssh, cron…). */
  seat: string;
  /** The seat's foreground session (logind's Session.Active). */
  active: boolean;
  /** Not a remote session (logind's Session.Remote is false). */
  local: boolean;
}

/** polkit's answer: yes; no; yes only after an authentication the caller did not allow; or none at all. */
export type PolkitAnswer = 'yes' | 'no' | 'challenge' | 'failed';

export type Verdict = 'allow' | 'deny' | 'ask-polkit';

/**
 * Whether a caller acts on `seats` (each a seat id, '' = of no seat) as on
 * its own: it is the active local session of a seat, and each seat is that
 * one or none. A caller logind places nowhere (`place` undefined) never does.
 */
export function actsAsOwn(place: CallerPlace | undefined, seats: readonly string[]): boolean {
  if (!place || !place.active || !place.local) return false;
  return seats.every((seat) => seat === '' || seat === place.seat);
}

/**
 * The decision: allowed outright, or polkit must be asked; once asked, only
 * its yes allows. Any other answer — no, a challenge, none — refuses.
 */
export function decide(place: CallerPlace | undefined, seats: readonly string[], polkit?: PolkitAnswer): Verdict {
  if (actsAsOwn(place, seats)) return 'allow';
  if (polkit === undefined) return 'ask-polkit';
  return polkit === 'yes' ? 'allow' : 'deny';
}

/** CheckAuthorization's (bba{ss}) result — is_authorized, is_challenge, details — as an answer. */
export function polkitAnswer(result: readonly [boolean, boolean, Record<string, string>?]): PolkitAnswer {
  const [authorized, challenge] = result;
  if (authorized === true) return 'yes';
  return challenge === true ? 'challenge' : 'no';
}

/** CheckAuthorization's flags: polkit may ask the user only when the caller allowed it. */
export function polkitFlags(interactive: boolean): number {
  return interactive ? ALLOW_USER_INTERACTION : 0;
}

/** The seats an action touches, each once, '' (of no seat) left out unless it is all there is. */
export function touchedSeats(seats: readonly string[]): string[] {
  const named = [...new Set(seats.filter((seat) => seat !== ''))].sort();
  return named.length > 0 ? named : [''];
}

/** What polkit's answer was, in a refusal's words. */
const POLKIT_SAID: Record<PolkitAnswer, string> = {
  no: 'polkit did not allow it',
  challenge:
    'polkit would allow it only after authentication, which the call did not allow (ALLOW_INTERACTIVE_AUTHORIZATION)',
  failed: 'polkit did not answer',
  yes: 'polkit allowed it',
};

/** Why a caller was refused, in its terms: where it sits, what it asked for, what polkit said. */
export function refusal(
  place: CallerPlace | undefined,
  seats: readonly string[],
  what: string,
  answer: PolkitAnswer,
): string {
  const others = touchedSeats(seats).filter((seat) => seat !== '' && seat !== place?.seat);
  let where: string;
  if (!place) where = 'logind places your process in no session (and your user has none on a display)';
  else if (!place.local) where = `your session ${place.session} is remote`;
  else if (!place.active) where = `your session ${place.session} is not the active one of its seat`;
  else if (others.length > 0) {
    where = `it belongs to ${others.join(' and ')}, and your session is on ${place.seat || 'no seat'}`;
  } else where = 'it is not of your seat';
  return `Not allowed to act on ${what}: ${where}, and ${POLKIT_SAID[answer]} (${OTHER_SEAT_ACTION})`;
}

/**
 * Whether a caller may cancel a job: the user who started it may; anybody
 * else only with polkit's yes. Which seat the job's guest is on does not
 * enter into it: a job is its starter's, as udisks2's are.
 */
export function decideCancel(callerUid: number, startedByUid: number, polkit?: PolkitAnswer): Verdict {
  if (callerUid === startedByUid) return 'allow';
  if (polkit === undefined) return 'ask-polkit';
  return polkit === 'yes' ? 'allow' : 'deny';
}

/** Why a caller may not cancel another user's job, in its terms. */
export function cancelRefusal(what: string, startedByUid: number, answer: PolkitAnswer): string {
  return `Not allowed to cancel ${what}: user ${startedByUid} started it, and ${POLKIT_SAID[answer]} (${OTHER_USERS_JOB_ACTION})`;
}
