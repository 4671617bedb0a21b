// One shared guest's door to the network: a TLS listener (the host's
// certificate) on the address and port its share was given. Each
// connection is a SPICE channel of the other computer's client: its link is
// passed to the guest's SPICE server (through the service's own display
// socket, libvirt's OpenGraphicsFD), the server's reply handed back with the
// share's public key, and the client's password — encrypted for the share —
// judged by the share's gate before a single byte more reaches the guest.
// A refusal is SPICE's own "permission denied", whatever was wrong. Then the
// two are spliced and nothing is looked at again. Connections are bounded,
// in all and before their password, and each has a deadline to get that far.

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { errorMessage } from '../errors.js';
import { log } from '../log.js';
import { delay, type Clock } from './clock.js';
import type { HostCertificate } from './host-certificate.js';
import type { ShareGate, Verdict } from './share-gate.js';
import {
  AUTH_SPICE,
  authenticationBytes,
  LINK_OK,
  LINK_PERMISSION_DENIED,
  linkResult,
  LinkRefused,
  MAIN_CHANNEL,
  MAX_BODY_BYTES,
  MORE,
  readAuthentication,
  readLinkMessage,
  readLinkReply,
  readLinkResult,
  replyForClient,
  type Read,
} from './spice-link.js';
import { encryptTicket, TicketKey } from './spice-ticket.js';

export interface ListenerLimits {
  /** Connections at once, each a SPICE channel (a client opens about six). */
  connections: number;
  /** Connections at once that have not yet been judged. */
  unjudged: number;
  /** From the first byte to the password's verdict (TLS included), at most. */
  linkTimeoutMs: number;
  /** Connections at once from one address, TCP or TLS, that have not yet been judged. */
  unjudgedPerAddress: number;
}

/** How long a refused client has to read its refusal before it is cut off. */
const REFUSAL_GRACE_MS = 1_000;

// One address holds at most 8 of the 32 places before its password: a stranger
// reconnecting at once still leaves the genuine client (elsewhere) 24.
export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  connections: 32,
  unjudged: 8,
  linkTimeoutMs: 10_000,
  unjudgedPerAddress: 8,
};

export interface ShareListenerOptions {
  /** For the log: the guest shared. */
  guestName: string;
  address: string;
  port: number;
  certificate: HostCertificate;
  gate: ShareGate;
  /** A new connection to the guest's display, as libvirt hands it over. */
  connectDisplay: () => Socket;
  clock: Clock;
  limits?: ListenerLimits;
}

interface ListenerEvents {
  /** The share must close: too many wrong passwords. */
  exhausted: [];
}

/** Reads a socket piece by piece until it is spliced. */
class Incoming {
  private buffer: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly onData = (data: Buffer): void => {
    this.buffer = Buffer.concat([this.buffer, data]);
    this.wake?.();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake?.();
  };

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.once('end', this.onEnd);
    socket.once('close', this.onEnd);
  }

  async read<T>(parse: (buffer: Buffer) => Read<T> | typeof MORE): Promise<T> {
    for (;;) {
      const read = parse(this.buffer);
      if (read !== MORE) {
        this.buffer = read.rest;
        return read.value;
      }
      if (this.ended) throw new LinkRefused('the connection ended');
      if (this.buffer.length > MAX_BODY_BYTES * 2) throw new LinkRefused('too much before the link');
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Stops reading; what was read and not taken. */
  release(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.pause();
    return this.buffer;
  }
}

/** A connection's peer, which is the same for its TCP socket and the TLS socket over it, and unique while it lasts. */
const peerKey = (socket: Socket): string => `${socket.remoteAddress ?? '?'} ${socket.remotePort ?? '?'}`;

export class ShareListener extends EventEmitter<ListenerEvents> {
  private readonly key = new TicketKey();
  private readonly sockets = new Set<Socket>();
  /** The deadline of each connection not yet judged, by its peer's address and port. */
  private readonly deadlines = new Map<string, () => void>();
  /** Connections not yet judged, by the address they come from. */
  private readonly unjudgedFrom = new Map<string, number>();
  private unjudged = 0;
  private closed = false;
  private readonly limits: ListenerLimits;

  private constructor(
    private readonly options: ShareListenerOptions,
    private readonly server: Server,
  ) {
    super();
    this.limits = options.limits ?? DEFAULT_LISTENER_LIMITS;
  }

  /** Listens on the share's address and port; rejects as listen(2) does (EADDRINUSE…). */
  static async listen(options: ShareListenerOptions): Promise<ShareListener> {
    const limits = options.limits ?? DEFAULT_LISTENER_LIMITS;
    const server = createServer({
      cert: options.certificate.certificate,
      key: options.certificate.key,
      minVersion: 'TLSv1.2',
      handshakeTimeout: limits.linkTimeoutMs,
    });
    server.maxConnections = limits.connections;
    const listener = new ShareListener(options, server);
    // Node's own handler (the TLS wrap) runs first; this one starts the connection's deadline.
    server.on('connection', (socket: Socket) => listener.admit(socket));
    server.on('secureConnection', (socket) => listener.accept(socket));
    // A scan, or a client that does not trust the certificate: nothing worth more than a debug line.
    // Node leaves the socket open once anyone listens for this: it must be ended here, or it holds its place.
    server.on('tlsClientError', (error, socket) => {
      log.debug(
        `share of ${JSON.stringify(options.guestName)}: TLS from ${socket.remoteAddress ?? '?'}: ${error.message}`,
      );
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.address, port: options.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => log.warning(`share of ${JSON.stringify(options.guestName)}: ${error.message}`));
    return listener;
  }

  /** The port it listens on (the one it was given, or the kernel's choice for 0). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  /** Stops listening and ends every connection, spliced or not. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    for (const cancel of this.deadlines.values()) cancel();
    this.deadlines.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * A TCP connection, before TLS: its deadline starts now, whatever it sends
   * (or not), and ends it (the TLS socket over it with it) unless its
   * password is judged first.
   */
  private admit(raw: Socket): void {
    if (this.closed) {
      raw.destroy();
      return;
    }
    const address = raw.remoteAddress ?? '?';
    const from = this.unjudgedFrom.get(address) ?? 0;
    if (from >= this.limits.unjudgedPerAddress) {
      raw.destroy();
      return;
    }
    this.unjudgedFrom.set(address, from + 1);
    const key = peerKey(raw);
    const stopTimer = this.options.clock.after(this.limits.linkTimeoutMs, () => raw.destroy());
    let done = false;
    // Judged, or gone: the deadline stops and the address has its place back, once.
    const cancel = (): void => {
      if (done) return;
      done = true;
      stopTimer();
      const left = (this.unjudgedFrom.get(address) ?? 1) - 1;
      if (left > 0) this.unjudgedFrom.set(address, left);
      else this.unjudgedFrom.delete(address);
    };
    this.deadlines.set(key, cancel);
    this.track(raw);
    raw.once('close', () => {
      cancel();
      if (this.deadlines.get(key) === cancel) this.deadlines.delete(key);
    });
  }

  /** The deadline `admit` started for the connection under `client` (one from now if it has none). */
  private deadlineOf(client: TLSSocket): () => void {
    const key = peerKey(client);
    const cancel = this.deadlines.get(key);
    if (cancel) {
      this.deadlines.delete(key);
      return cancel;
    }
    return this.options.clock.after(this.limits.linkTimeoutMs, () => client.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private accept(client: TLSSocket): void {
    this.track(client);
    if (this.closed || this.unjudged >= this.limits.unjudged) {
      client.destroy();
      return;
    }
    this.unjudged++;
    let judged = false;
    const judgedNow = (): void => {
      if (!judged) this.unjudged--;
      judged = true;
    };
    const display: { socket?: Socket } = {};
    // Ends the TCP connection under the client, which closes the client, and with it the display.
    const cancelDeadline = this.deadlineOf(client);
    client.once('close', () => {
      judgedNow();
      display.socket?.destroy();
    });
    this.link(client, display)
      .then((verdict) => {
        judgedNow();
        cancelDeadline();
        if (verdict === 'accepted') return;
        // A refusal is said (SPICE's own result), then the connection goes: once the client hangs up, or soon.
        let gone = false;
        const hungUp = (): void => {
          if (gone) return;
          gone = true;
          cancelGrace();
          client.destroy();
          if (verdict === 'exhausted') this.emit('exhausted');
        };
        const cancelGrace = this.options.clock.after(REFUSAL_GRACE_MS, hungUp);
        if (client.destroyed) hungUp();
        else client.once('close', hungUp);
      })
      .catch((error: unknown) => {
        judgedNow();
        cancelDeadline();
        log.debug(`share of ${JSON.stringify(this.options.guestName)}: a connection ended: ${errorMessage(error)}`);
        client.destroy();
        display.socket?.destroy();
      });
  }

  /** The link of one connection, up to its verdict (and, when accepted, its splice). */
  private async link(client: TLSSocket, display: { socket?: Socket }): Promise<Verdict | 'unjudged'> {
    const { gate, clock } = this.options;
    const fromClient = new Incoming(client);
    const message = await fromClient.read(readLinkMessage);
    if (!message.authSelection) throw new LinkRefused('a client that cannot name its authentication');
    const server = this.options.connectDisplay();
    display.socket = server;
    this.track(server);
    const fromServer = new Incoming(server);
    server.write(message.bytes);
    const reply = await fromServer.read(readLinkReply);
    if (reply.error !== LINK_OK) {
      client.end(reply.bytes);
      server.destroy();
      return 'unjudged';
    }
    if (!reply.authSelection) throw new LinkRefused('a server that cannot name its authentication');
    client.write(replyForClient(reply, this.key.publicDer));
    const authentication = await fromClient.read((buffer) => readAuthentication(buffer, true));
    // After failures, the next password waits its turn (later each time).
    for (let wait = gate.judgeAt(clock.now()) - clock.now(); wait > 0; wait = gate.judgeAt(clock.now()) - clock.now())
      await delay(clock, wait);
    const presented = authentication.mechanism === AUTH_SPICE ? this.key.decrypt(authentication.ticket) : undefined;
    const verdict = gate.judge(presented, clock.now());
    const from = client.remoteAddress ?? '?';
    const name = JSON.stringify(this.options.guestName);
    if (verdict !== 'accepted') {
      log.warning(`share of ${name}: a wrong or expired password from ${from} (${gate.failureCount} so far)`);
      client.end(linkResult(LINK_PERMISSION_DENIED));
      server.destroy();
      return verdict;
    }
    // The server's own check is skipped for a display libvirt handed over; it still reads a password.
    server.write(authenticationBytes(true, encryptTicket(reply.publicKey, Buffer.alloc(0))));
    const result = await fromServer.read(readLinkResult);
    // The result goes alone, in a TLS record of its own, as a SPICE server sends it: spice-gtk reads
    // those 4 bytes, then waits for the socket before it reads again, so messages that came in the
    // same record would sit unread in its TLS buffer.
    await new Promise<void>((resolve, reject) => client.write(result, (error) => (error ? reject(error) : resolve())));
    if (result.readUInt32LE(0) !== LINK_OK) {
      client.end();
      server.destroy();
      return 'unjudged';
    }
    const [clientRest, serverRest] = [fromClient.release(), fromServer.release()];
    if (serverRest.length > 0) client.write(serverRest);
    if (clientRest.length > 0) server.write(clientRest);
    client.pipe(server);
    server.pipe(client);
    client.once('close', () => server.destroy());
    server.once('close', () => client.destroy());
    if (message.channelType === MAIN_CHANNEL) log.info(`share of ${name}: a viewer at ${from} connected`);
    return verdict;
  }
}
