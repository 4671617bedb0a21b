// Whether a caller may change what it asks to change: its place from logind
// (caller-place.ts), the decision (policy.ts), polkit's answer when the decision
// needs one (polkit.ts). Every method of ours that changes something calls
// one of require*() after checking its arguments and before acting; any
// failure to decide — logind or polkit gone, slow or erring — refuses.
// With seats 'none' (a host with one person and no logind: the demo, a
// container), chosen on the command line and never by accident, nothing is
// checked.

import { errorMessage, noSuchGuest, SwitcherError } from '../errors.js';
import type { GuestRegistry } from '../guests/registry.js';
import { log } from '../log.js';
import type { CallerFacts, CallerRef, CallerResolver, Credentials } from './caller-place.js';
import type { PolkitClient, PolkitSubject } from './polkit.js';
import {
  cancelRefusal,
  decide,
  decideCancel,
  OTHER_SEAT_ACTION,
  OTHER_USERS_JOB_ACTION,
  refusal,
  touchedSeats,
  type PolkitAnswer,
} from './policy.js';

/** 'logind': seats are logind's and every change is checked; 'none': no seats, no checks. */
export type SeatsMode = 'logind' | 'none';

export interface AuthorityOptions {
  seats: SeatsMode;
  /** How polkit is told who asks: by bus name (we are on polkit's bus, the host-wide service) or by process. */
  subject: PolkitSubject['kind'];
}

/** What DescribeCaller answers. */
export interface CallerDescription {
  uid: number;
  session: string;
  seat: string;
  active: boolean;
  local: boolean;
}

/** Who a caller is, for what it starts: its uid, and the seat it sits at ('' for none, or no seats). */
export interface CallerIdentity {
  uid: number;
  seat: string;
}

export class Authority {
  constructor(
    private readonly resolver: CallerResolver,
    private readonly polkit: PolkitClient,
    private readonly registry: Pick<GuestRegistry, 'get'>,
    private readonly options: AuthorityOptions,
  ) {}

  /**
   * Resolves when `caller` may act on what is of `seats` (seat ids, '' = of
   * no seat); else AccessDenied, saying why. `what` names it for a person.
   */
  async require(caller: CallerRef, seats: readonly string[], what: string): Promise<void> {
    await this.check(caller, seats, what);
  }

  /** The same for a guest, which is of the seat it is assigned to. */
  async requireGuest(caller: CallerRef, guestPath: string): Promise<void> {
    await this.require(caller, [this.seatOfGuest(guestPath)], this.nameOfGuest(guestPath));
  }

  /** require(), then who the caller is, for a job it starts (its Job says who started it). */
  async requireStarter(caller: CallerRef, seats: readonly string[], what: string): Promise<CallerIdentity> {
    const facts = await this.check(caller, seats, what);
    if (facts) return { uid: facts.uid, seat: facts.place?.seat ?? '' };
    return { uid: (await this.resolver.credentials(caller.sender)).uid, seat: '' };
  }

  /** requireStarter() for a guest's job. */
  requireGuestStarter(caller: CallerRef, guestPath: string): Promise<CallerIdentity> {
    return this.requireStarter(caller, [this.seatOfGuest(guestPath)], this.nameOfGuest(guestPath));
  }

  /**
   * Resolves when `caller` may cancel a job `startedByUid` started: that
   * user may, anybody else only with polkit's yes to
   * me.phyllo.switcher.cancel-job-other-user; else AccessDenied.
   */
  async requireCanCancel(caller: CallerRef, startedByUid: number, what: string): Promise<void> {
    if (this.options.seats === 'none') return;
    const credentials = await this.resolver.credentials(caller.sender);
    if (decideCancel(credentials.uid, startedByUid) === 'allow') return;
    const answer = await this.askPolkit(caller, credentials, OTHER_USERS_JOB_ACTION, { uid: String(startedByUid) });
    if (decideCancel(credentials.uid, startedByUid, answer) === 'allow') return;
    const message = cancelRefusal(what, startedByUid, answer);
    log.info(`refused uid ${credentials.uid} (pid ${credentials.pid}): ${message}`);
    throw new SwitcherError('AccessDenied', message);
  }

  /**
   * Of `items`, those the caller may act on: its seat's and those of no
   * seat; the others only if polkit says yes (asked once, for all of them).
   * AccessDenied only when the caller cannot be placed at all.
   */
  async filter<T>(caller: CallerRef, items: readonly T[], seatOf: (item: T) => string): Promise<T[]> {
    if (this.options.seats === 'none') return [...items];
    const facts = await this.facts(caller);
    const own = items.filter((item) => decide(facts.place, [seatOf(item)]) === 'allow');
    if (own.length === items.length) return own;
    const others = touchedSeats(items.filter((item) => !own.includes(item)).map(seatOf));
    const answer = await this.askPolkit(caller, facts, OTHER_SEAT_ACTION, { seats: others.join(' ') });
    if (answer === 'yes') return [...items];
    log.info(
      `uid ${facts.uid} (pid ${facts.pid}) acts only on its own: ${others.join(', ')} left out (polkit: ${answer})`,
    );
    return own;
  }

  /** Where the caller sits, as require() sees it. */
  async describe(caller: CallerRef): Promise<CallerDescription> {
    if (this.options.seats === 'none') {
      const { uid } = await this.resolver.credentials(caller.sender);
      return { uid, session: '', seat: '', active: true, local: true };
    }
    const { uid, place } = await this.resolver.resolve(caller.sender);
    return {
      uid,
      session: place?.session ?? '',
      seat: place?.seat ?? '',
      active: place?.active ?? false,
      local: place?.local ?? false,
    };
  }

  /** The decision of require(); the facts it was made on, or undefined when nothing is checked (seats 'none'). */
  private async check(caller: CallerRef, seats: readonly string[], what: string): Promise<CallerFacts | undefined> {
    if (this.options.seats === 'none') return undefined;
    const facts = await this.facts(caller);
    const targets = touchedSeats(seats);
    if (decide(facts.place, targets) === 'allow') return facts;
    const answer = await this.askPolkit(caller, facts, OTHER_SEAT_ACTION, { seats: targets.join(' ') });
    if (decide(facts.place, targets, answer) === 'allow') return facts;
    const message = refusal(facts.place, targets, what, answer);
    log.info(`refused uid ${facts.uid} (pid ${facts.pid}): ${message}`);
    throw new SwitcherError('AccessDenied', message);
  }

  private seatOfGuest(guestPath: string): string {
    const guest = this.registry.get(guestPath);
    if (!guest) throw noSuchGuest(`at ${guestPath}`);
    return guest.settings.seat;
  }

  private nameOfGuest(guestPath: string): string {
    return this.registry.get(guestPath)?.name ?? guestPath;
  }

  private async facts(caller: CallerRef): Promise<CallerFacts> {
    try {
      return await this.resolver.resolve(caller.sender);
    } catch (error) {
      const why = errorMessage(error);
      log.warning(`cannot tell where ${caller.sender} sits: ${why}; refusing`);
      throw new SwitcherError('AccessDenied', `Cannot tell which seat you are on, so nothing is changed: ${why}`);
    }
  }

  private askPolkit(
    caller: CallerRef,
    who: Credentials,
    action: string,
    details: Record<string, string>,
  ): Promise<PolkitAnswer> {
    const subject: PolkitSubject =
      this.options.subject === 'system-bus-name'
        ? { kind: 'system-bus-name', name: caller.sender }
        : { kind: 'unix-process', pid: who.pid, uid: who.uid };
    return this.polkit.check(subject, action, details, caller.interactive);
  }
}
