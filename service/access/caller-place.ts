// Who a caller is and where it sits, found the way mutter and polkit find it:
// the bus tells the caller's PID and uid (GetConnectionCredentials); logind
// tells the session of that PID, else — for a process of no session, such
// as a GNOME Shell run as a systemd user unit — the session its user has on
// a display (User.Display); then that session's seat, and whether it is the
// seat's active one and local. Nothing here decides (see policy.ts).

import { connectionCredentials, type MessageBus } from '../dbus/bus.js';
import { errorMessage, SwitcherError } from '../errors.js';
import { log } from '../log.js';
import { LogindRefusal, type LogindClient } from '../seats/logind.js';
import type { CallerPlace } from './policy.js';

/** A call's caller as the bus names it (api/exporter.ts's Caller has this shape). */
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

/** What logind answers, or `otherwise` when it refuses the question (it still answered). */
async function told<T, U>(question: Promise<T>, otherwise: U): Promise<T | U> {
  try {
    return await question;
  } catch (error) {
    if (!(error instanceof LogindRefusal)) throw error;
    log.debug(`logind cannot place a caller: ${error.message}`);
    return otherwise;
  }
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
      throw new SwitcherError('AccessDenied', `The bus does not tell who is calling: ${errorMessage(error)}`);
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
    // logind answering but not placing the caller (it refuses a question, e.g. a logind without
    // GetSessionByPID) is a caller that cannot be told: polkit decides. logind not answering throws.
    const path =
      (await told(logind.sessionOfPid(credentials.pid), '')) ||
      (await told(logind.displaySessionOf(credentials.uid), ''));
    const session = path ? await told(logind.session(path), undefined) : undefined;
    if (!session) return { ...credentials, place: undefined };
    return {
      ...credentials,
      place: { session: session.id, seat: session.seat, active: session.active, local: !session.remote },
    };
  }
}
