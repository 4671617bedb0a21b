// Guests shared with other computers: at most one share per guest, each a
// listener of its own (share-listener.ts) on an address and port the
// administrator allowed, with a password made for it and an end the owner
// chose. A share closes when its owner ends it, when it expires, after too
// many wrong passwords, and when its guest stops, changes seat or goes —
// and with the service. No listener exists but a share's. The password is
// returned once, to whoever shared, and kept nowhere but in the share's
// gate (as a digest): never logged, never a property.

import { EventEmitter } from 'node:events';
import { createConnection } from 'node:net';
import { errorMessage, invalidState, missingHostFeature, SwitcherError } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import { busy } from '../access/call-limiter.js';
import { log } from '../log.js';
import type { Clock } from './clock.js';
import { connectionFile, spiceUri } from './connection-file.js';
import type { HostCertificate } from './host-certificate.js';
import { DEFAULT_FAILURE_POLICY, makePassword, ShareGate, type FailurePolicy } from './share-gate.js';
import { ShareListener, type ListenerLimits } from './share-listener.js';
import type { ShareRequest, SharingSettings } from './share-options.js';

/** What the owner is given, once: everything another computer needs. */
export interface ShareGrant {
  address: string;
  port: number;
  password: string;
  /** When the share ends (ms since the epoch). */
  expiresAt: number;
  /** The host's certificate (PEM), its SHA-256 fingerprint and subject. */
  certificate: string;
  fingerprint: string;
  subject: string;
  /** spice://ADDRESS?tls-port=PORT */
  uri: string;
  /** A virt-viewer connection file (remote-viewer FILE.vv) holding all of it. */
  connectionFile: string;
}

/** What anyone may know of a share: that it is there, and until when. */
export interface ShareState {
  expiresAt: number;
}

export interface SharesLimits {
  /** Shares at once, every user's. */
  total: number;
  /** Shares at once of one user. */
  perUser: number;
}

export const DEFAULT_SHARES_LIMITS: SharesLimits = { total: 8, perUser: 2 };

export interface SharesOptions {
  settings: SharingSettings;
  /** The host's certificate (made once, kept by the caller). */
  certificate: () => Promise<HostCertificate>;
  /** A socket only the service may open where each connection gets the guest's display; resolves to its path. */
  openDisplay: (guest: Guest) => Promise<string>;
  /** Takes that socket away. */
  closeDisplay: (guestPath: string) => void;
  clock: Clock;
  failurePolicy?: FailurePolicy;
  listenerLimits?: ListenerLimits;
  limits?: SharesLimits;
}

interface Share {
  guestPath: string;
  guestName: string;
  uid: number;
  /** Undefined while it is being set up. */
  listener?: ShareListener;
  address?: string;
  port?: number;
  expiresAt?: number;
  cancelExpiry?: () => void;
  /** Set when it was ended while being set up. */
  endedWhy?: string;
}

interface SharesEvents {
  /** A guest's share began or ended. */
  changed: [guestPath: string];
}

export class Shares extends EventEmitter<SharesEvents> {
  private readonly shares = new Map<string, Share>();
  private readonly limits: SharesLimits;

  constructor(private readonly options: SharesOptions) {
    super();
    this.limits = options.limits ?? DEFAULT_SHARES_LIMITS;
  }

  /** The guest's share, if one is open. */
  state(guestPath: string): ShareState | undefined {
    const share = this.shares.get(guestPath);
    return share?.listener && share.expiresAt !== undefined ? { expiresAt: share.expiresAt } : undefined;
  }

  /** Opens a share of a running guest for `uid` (who asked); resolves once it listens. */
  async share(guest: Guest, request: ShareRequest, uid: number): Promise<ShareGrant> {
    const current = this.shares.get(guest.path);
    if (current) {
      throw invalidState(
        current.expiresAt === undefined
          ? `${guest.name} is being shared already`
          : `${guest.name} is shared already, until ${new Date(current.expiresAt).toISOString()}: stop sharing it first`,
      );
    }
    const all = [...this.shares.values()];
    if (all.filter((share) => share.uid === uid).length >= this.limits.perUser)
      throw busy(`You share ${this.limits.perUser} guests already; stop sharing one first`);
    if (all.length >= this.limits.total)
      throw busy(`This host shares ${this.limits.total} guests already, which is as many as it allows`);
    const share: Share = { guestPath: guest.path, guestName: guest.name, uid };
    this.shares.set(guest.path, share);
    try {
      return await this.open(share, guest, request);
    } catch (error) {
      share.listener?.close();
      if (this.shares.get(guest.path) === share) this.shares.delete(guest.path);
      // Unless a new share of the guest began meanwhile, whose socket it is now.
      if (!this.shares.has(guest.path)) this.options.closeDisplay(guest.path);
      throw error;
    }
  }

  /** Ends a guest's share (`why`, for the log); false when it had none. */
  unshare(guestPath: string, why: string): boolean {
    const share = this.shares.get(guestPath);
    if (!share) return false;
    this.shares.delete(guestPath);
    if (!share.listener) {
      // Still being set up: it finds out before it listens, and goes.
      share.endedWhy = why;
      return true;
    }
    share.cancelExpiry?.();
    share.listener.close();
    this.options.closeDisplay(guestPath);
    log.info(
      `share of ${JSON.stringify(share.guestName)} on ${share.address ?? '?'} port ${share.port ?? '?'} closed: ${why}`,
    );
    this.emit('changed', guestPath);
    return true;
  }

  stop(): void {
    for (const guestPath of [...this.shares.keys()]) this.unshare(guestPath, 'the service stopped');
  }

  private async open(share: Share, guest: Guest, request: ShareRequest): Promise<ShareGrant> {
    const { clock } = this.options;
    const certificate = await this.options.certificate();
    const socketPath = await this.options.openDisplay(guest);
    const password = makePassword();
    const expiresAt = clock.now() + request.durationSeconds * 1000;
    const gate = new ShareGate(password, expiresAt, this.options.failurePolicy ?? DEFAULT_FAILURE_POLICY);
    const listener = await this.listen(guest, request, certificate, gate, () => createConnection(socketPath));
    share.listener = listener;
    const ended = share.endedWhy;
    if (ended !== undefined) throw invalidState(`${guest.name} was not shared: ${ended}`);
    share.address = request.address;
    share.port = listener.port;
    share.expiresAt = expiresAt;
    share.cancelExpiry = clock.after(expiresAt - clock.now(), () => this.unshare(guest.path, 'its time is up'));
    listener.once('exhausted', () => {
      // Only this share's own end: a refusal told late must not close a share made since.
      if (this.shares.get(guest.path)?.listener === listener) this.unshare(guest.path, 'too many wrong passwords');
    });
    log.info(
      `${JSON.stringify(guest.name)} shared by uid ${share.uid} on ${request.address} port ${listener.port} until ${new Date(expiresAt).toISOString()}`,
    );
    this.emit('changed', guest.path);
    return {
      address: request.address,
      port: listener.port,
      password,
      expiresAt,
      certificate: certificate.certificate,
      fingerprint: certificate.fingerprint,
      subject: certificate.subject,
      uri: spiceUri(request.address, listener.port),
      connectionFile: connectionFile({
        address: request.address,
        port: listener.port,
        password,
        certificate: certificate.certificate,
        subject: certificate.subject,
        title: guest.name,
      }),
    };
  }

  /** A listener on the port asked for, or on the first free one of the range that no share of ours holds. */
  private async listen(
    guest: Guest,
    request: ShareRequest,
    certificate: HostCertificate,
    gate: ShareGate,
    connectDisplay: () => ReturnType<typeof createConnection>,
  ): Promise<ShareListener> {
    const { settings, clock, listenerLimits } = this.options;
    const ours = new Set([...this.shares.values()].map((share) => share.port));
    const ports =
      request.port !== undefined
        ? [request.port]
        : Array.from({ length: settings.lastPort - settings.firstPort + 1 }, (_, i) => settings.firstPort + i).filter(
            (port) => !ours.has(port),
          );
    for (const port of ports) {
      try {
        return await ShareListener.listen({
          guestName: guest.name,
          address: request.address,
          port,
          certificate,
          gate,
          connectDisplay,
          clock,
          ...(listenerLimits ? { limits: listenerLimits } : {}),
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') continue;
        if (code === 'EADDRNOTAVAIL')
          throw missingHostFeature(
            `This host has no address ${request.address} now, which sharing is set to listen on`,
          );
        throw new SwitcherError('ViewerFailed', `The share could not listen: ${errorMessage(error)}`);
      }
    }
    throw busy(
      request.port !== undefined
        ? `Port ${request.port} is taken; share on another, or on the first free one`
        : `Every port sharing may use (${settings.firstPort}–${settings.lastPort}) is taken`,
    );
  }
}
