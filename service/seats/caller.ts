// Who a caller is and where it sits, found the way mutter and polkit find it:
// the bus tells the caller's PID and uid (GetConnectionCredentials); logind
// tells the session of that PID, else — for a process of no session, such
// as a GNOME Shell run as a systemd user unit — the session its user has on
// a display (User.Display); then that session's seat, and whether it is the
// seat's active one and local. Nothing here decides (see policy.ts).

import { connectionCredentials, type MessageBus } from '../dbus/bus.js';
import { SwitcherError } from '../errors.js';
import type { LogindClient } from './logind.js';
import type { CallerPlace } from './policy.js';

/** A call's caller as the bus names it (the bus floor's Caller has this shape). */
export interface CallerRef {
  /** Its unique bus name. */
  sender: string;
  /** It set ALLOW_INTERACTIVE_AUTHORIZATION: polkit may ask the user. */
  interactive: boolean;
}

export interface Credentials {
  uid: number;
  pid: number;
}

export interface CallerFacts extends Credentials {
  /** Where logind places it; undefined when in no session (and its user has none on a display). */
  place: CallerPlace | undefined;
}

export class CallerResolver {
  constructor(
    /** The bus callers reach us on: it vouches for their PID and uid. */
    private readonly serviceBus: MessageBus,
    /** undefined: no logind to ask (a host without seats). */
    private readonly logind: LogindClient | undefined,
    private readonly timeoutMs = 5_000,
  ) {}

  /** The caller's uid and PID, as the bus daemon knows them (not as the caller says). */
  async credentials(sender: string): Promise<Credentials> {
    try {
      const { uid, pid } = await connectionCredentials(this.serviceBus, sender, this.timeoutMs);
      return { uid, pid };
    } catch (error) {
      throw new SwitcherError('AccessDenied', `The bus does not tell who is calling: ${(error as Error).message}`);
    }
  }

  /**
   * The caller's credentials and place. Throws when it cannot be told —
   * the bus or logind unreachable or erring — which must refuse, never allow.
   */
  async resolve(sender: string): Promise<CallerFacts> {
    const credentials = await this.credentials(sender);
    const logind = this.logind;
    if (!logind) throw new SwitcherError('NotConnected', 'systemd-logind is not reachable');
    const path = (await logind.sessionOfPid(credentials.pid)) || (await logind.displaySessionOf(credentials.uid));
    if (!path) return { ...credentials, place: undefined };
    const session = await logind.session(path);
    return {
      ...credentials,
      place: { session: session.id, seat: session.seat, active: session.active, local: !session.remote },
    };
  }
}
