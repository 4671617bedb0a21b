// Changing a guest's display in libvirt's own definition: its video
// device's heads, resolution and 3D acceleration (taking effect at its next
// start; a running guest keeps what it started with until then), and the
// monitors of its heads in our metadata. A change is checked against the
// guest's video model and the host before anything is asked of libvirt,
// then made on the definition as libvirt has it at that moment (changes to
// one guest run one at a time).

import { Variant } from '../dbus/bus.js';
import {
  errorMessage,
  invalidArgument,
  invalidState,
  missingHostFeature,
  noSuchGuest,
  notConnected,
} from '../errors.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { inactiveXml } from '../libvirt/domain.js';
import { parseDomainXml } from '../libvirt/domain-xml.js';
import { validateMonitors } from '../libvirt/switcher-metadata.js';
import { withVideo } from '../libvirt/video-xml.js';
import { log } from '../log.js';
import type { GuestActions } from './actions.js';
import {
  planVideo,
  videoLimits,
  whyNoAccel3d,
  type Accel3dHost,
  type DisplayRequest,
  type VideoLimits,
} from './display-settings.js';
import type { Guest } from './guest.js';
import type { GuestRegistry } from './registry.js';

/** What DescribeDisplay answers: the video model's limits, and why 3D cannot be had ('' when it can). */
export interface DisplayDescription extends VideoLimits {
  accel3d: string;
}

/** The host's side of 3D, asked when needed (libvirt's domain capabilities and /dev/dri). */
export type Accel3dProbe = () => Promise<Accel3dHost>;

/** How long an answer of the host's is reused, so that many callers at once ask libvirt once. */
const HOST_ANSWER_MS = 5_000;
const INTEGER_TYPES = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);

/** SetDisplay's a{sv}: heads (an unsigned integer), resolution ((uu), or s 'window'), accel3d (b). */
export function parseDisplayRequest(settings: Record<string, unknown>): DisplayRequest {
  const request: DisplayRequest = {};
  for (const [key, raw] of Object.entries(settings ?? {})) {
    const { signature, value } = raw instanceof Variant ? raw : new Variant('', (raw as { value?: unknown })?.value);
    switch (key) {
      case 'heads':
        if (!INTEGER_TYPES.has(signature))
          throw invalidArgument(`heads takes an unsigned integer (u), not ${signature}`);
        request.heads = Number(value as number | bigint);
        break;
      case 'resolution':
        if (signature === 's' && value === 'window') request.resolution = 'window';
        else if (signature === '(uu)' && Array.isArray(value))
          request.resolution = [Number(value[0]), Number(value[1])];
        else
          throw invalidArgument(
            `resolution takes a width and height ((uu)), or 'window' (s) to follow the viewer's window, not ${signature === 's' ? `'${String(value).slice(0, 32)}'` : signature}`,
          );
        break;
      case 'accel3d':
        if (signature !== 'b') throw invalidArgument(`accel3d takes a boolean (b), not ${signature}`);
        request.accel3d = value === true;
        break;
      default:
        throw invalidArgument(
          `Unknown display setting '${key.slice(0, 64)}'; SetDisplay takes heads, resolution, accel3d`,
        );
    }
  }
  return request;
}

export class GuestDisplays {
  /** Per guest, the definition change in progress: the next one waits for it. */
  private readonly queue = new Map<string, Promise<unknown>>();
  private hostAnswer: { at: number; answer: Promise<Accel3dHost | Error> } | undefined;

  constructor(
    private readonly registry: GuestRegistry,
    private readonly client: LibvirtClient,
    private readonly actions: GuestActions,
    private readonly probe: Accel3dProbe,
    private readonly now: () => number = Date.now,
  ) {}

  /** The guest's video model's limits, and whether this host can give it 3D. */
  async describe(path: string): Promise<DisplayDescription> {
    const guest = this.guest(path);
    const why = whyNoAccel3d(await this.host(), guest.video, guest.display);
    return { ...videoLimits(guest.video), accel3d: why?.message ?? '' };
  }

  /** Checks a request against what is known of the guest and the host: what SetDisplay refuses before asking who calls. */
  async check(path: string, request: DisplayRequest): Promise<void> {
    const guest = this.guest(path);
    planVideo(guest.name, guest.video, guest.display, request, request.accel3d ? await this.host() : noHostNeeded);
  }

  /** Writes the change into the guest's definition, taking effect at its next start. */
  set(path: string, request: DisplayRequest): Promise<void> {
    return this.serially(path, async () => {
      const guest = this.guest(path);
      if (!this.registry.connected) throw notConnected('libvirt cannot be reached right now');
      if (!(await this.client.domainPersistent(guest.libvirtPath)))
        throw invalidState(`${guest.name} is transient: it has no definition for a next start to take a display from`);
      // The definition as libvirt has it now, secrets and all, and the request checked against it again.
      const xml = await inactiveXml(this.client, guest.libvirtPath);
      const { video } = parseDomainXml(xml);
      const change = planVideo(
        guest.name,
        video,
        guest.display,
        request,
        request.accel3d ? await this.host() : noHostNeeded,
      );
      await this.client.defineXml(withVideo(xml, change)).catch((error: unknown) => {
        // libvirt's own word that its QEMU cannot do 3D is what this host lacks.
        if (change.accel3d && /3d acceleration is not supported|virgl|opengl/i.test(errorMessage(error)))
          throw missingHostFeature(errorMessage(error));
        throw error;
      });
      await this.registry.refresh(guest.libvirtPath);
      log.info(
        `SetDisplay ${JSON.stringify(guest.name)}: ${change.heads} head(s), ${change.resolution[0] ? change.resolution.join('×') : 'following the window'}, 3D ${change.accel3d ? 'on' : 'off'}`,
      );
    });
  }

  /** The monitors of the guest's heads, head 1 first, in our metadata. */
  async setMonitors(path: string, connectors: string[]): Promise<void> {
    const [monitor = '', ...headMonitors] = validateMonitors(connectors);
    await this.actions.updateSettings(path, (settings) => ({ ...settings, monitor, headMonitors }));
    log.info(`SetMonitors ${path}: ${connectors.map((c) => c || '(any)').join(', ') || '(none)'}`);
  }

  private guest(path: string): Guest {
    const guest = this.registry.get(path);
    if (!guest) throw noSuchGuest(`at ${path}`);
    return guest;
  }

  /** The host's 3D abilities, or why they cannot be told (a driver that has no domain capabilities). */
  private host(): Promise<Accel3dHost | Error> {
    const now = this.now();
    if (!this.hostAnswer || now - this.hostAnswer.at > HOST_ANSWER_MS) {
      this.hostAnswer = { at: now, answer: this.probe().catch((error: unknown) => toError(error)) };
    }
    return this.hostAnswer.answer;
  }

  private serially(path: string, change: () => Promise<void>): Promise<void> {
    const next = (this.queue.get(path) ?? Promise.resolve()).catch(() => undefined).then(change);
    this.queue.set(path, next);
    void next
      .catch(() => undefined)
      .then(() => {
        if (this.queue.get(path) === next) this.queue.delete(path);
      });
    return next;
  }
}

/** For a request that does not turn 3D on: the host is not asked. */
const noHostNeeded: Accel3dHost = { opengl: true, renderNode: true, virtioGpu: true };

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
