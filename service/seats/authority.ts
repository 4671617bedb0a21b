// Whether a caller may change what it asks to change: its place from logind
// (caller.ts), the decision (policy.ts), polkit's answer when the decision
// needs one (polkit.ts). Every method of ours that changes something calls
// one of require*() after checking its arguments and before acting; any
// failure to decide — logind or polkit gone, slow or erring — refuses.
// With seats 'none' (a host with one person and no logind: the demo, a
// container), chosen on the command line and never by accident, nothing is
// checked.

import { errorMessage, noSuchGuest, SwitcherError } from '../errors.js';
import type { GuestRegistry } from '../guests/registry.js';
import { log } from '../log.js';
import type { CallerFacts, CallerRef, CallerResolver } from './caller.js';
import type { PolkitClient, PolkitSubject } from './polkit.js';
import { decide, OTHER_SEAT_ACTION, refusal, touchedSeats, type PolkitAnswer } from './policy.js';

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
    if (this.options.seats === 'none') return;
    const facts = await this.facts(caller);
    const targets = touchedSeats(seats);
    if (decide(facts.place, targets) === 'allow') return;
    const answer = await this.askPolkit(caller, facts, targets);
    if (decide(facts.place, targets, answer) === 'allow') return;
    const message = refusal(facts.place, targets, what, answer);
    log.info(`refused uid ${facts.uid} (pid ${facts.pid}): ${message}`);
    throw new SwitcherError('AccessDenied', message);
  }

  /** The same for a guest, which is of the seat it is assigned to. */
  async requireGuest(caller: CallerRef, guestPath: string): Promise<void> {
    const guest = this.registry.get(guestPath);
    if (!guest) throw noSuchGuest(`at ${guestPath}`);
    await this.require(caller, [guest.settings.seat], guest.name);
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
    const answer = await this.askPolkit(caller, facts, others);
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

  private async facts(caller: CallerRef): Promise<CallerFacts> {
    try {
      return await this.resolver.resolve(caller.sender);
    } catch (error) {
      const why = errorMessage(error);
      log.warning(`cannot tell where ${caller.sender} sits: ${why}; refusing`);
      throw new SwitcherError('AccessDenied', `Cannot tell which seat you are on, so nothing is changed: ${why}`);
    }
  }

  private askPolkit(caller: CallerRef, facts: CallerFacts, seats: string[]): Promise<PolkitAnswer> {
    const subject: PolkitSubject =
      this.options.subject === 'system-bus-name'
        ? { kind: 'system-bus-name', name: caller.sender }
        : { kind: 'unix-process', pid: facts.pid, uid: facts.uid };
    return this.polkit.check(subject, OTHER_SEAT_ACTION, { seats: seats.join(' ') }, caller.interactive);
  }
}
