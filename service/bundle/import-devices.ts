// The devices of a bundle's guest, read against the allowlist (the rest of
// its definition: import-check.ts): disks and CD drives, network cards, the
// display, video, sound and TPM models are read and checked; what the model
// sets itself is dropped and said; what reaches into the host is refused,
// named. Pure.

import {
  DISK_BUSES,
  DISK_FORMATS,
  MEDIA_BUSES,
  NET_MODELS,
  SOUND_MODELS,
  TPM_MODELS,
  VIDEO_MODELS,
  type DiskBus,
  type DiskFormat,
  type MediaBus,
  type NetModel,
  type PlannedDisk,
  type PlannedMedia,
  type SoundModel,
  type StatedGuest,
  type TpmModel,
  type VideoModel,
} from '../create/plan.js';
import { attributeOf, childrenNamed, NOT_IN_MODEL, shorten, type El, type Reading } from './allowlist-reading.js';
import { HOST_DEVICE, HOST_FILE, S } from './import-labels.js';
import { wholeNumber } from '../libvirt/video-xml.js';

/** A disk image the bundle carries, as its manifest describes it. */
export interface BundleImage {
  format: string;
  /** The image was made from a chain of images (privsep's helper flattens overlays at export). */
  flattened: boolean;
}

/** A drive as the definition has it, with its place in the boot order. */
export interface DiskRead {
  disk: PlannedDisk | undefined;
  media: PlannedMedia | undefined;
  bootOrder: number;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const DISK_DEV: Record<string, RegExp> = { virtio: /^vd[a-z]{1,2}$/, sata: /^sd[a-z]{1,2}$/, scsi: /^sd[a-z]{1,2}$/ };
const INTEGER = /^\s*[0-9]{1,20}\s*$/;

const includes = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

/** More drives or network cards than any guest has are refused before each is compared with the others. */
const MAX_DRIVES = 64;
const MAX_CARDS = 32;
export const NO_GUEST_HAS = 'more than a guest of Phyllome has';

export function readDevices(
  r: Reading,
  devices: El,
  guest: StatedGuest,
  disks: DiskRead[],
  images: ReadonlyMap<string, BundleImage>,
): void {
  let graphics = 0;
  let videos = 0;
  let drives = 0;
  let cards = 0;
  r.children(devices, {
    emulator: { drop: S.emulator },
    disk: (el, p) => {
      // Counted before anything is read: what a guest holds is checked against each other drive.
      if (++drives > MAX_DRIVES) {
        if (drives === MAX_DRIVES + 1) r.refuseText(`more than ${MAX_DRIVES} drives`, NO_GUEST_HAS);
        return;
      }
      const read = readDisk(r, el, p, images);
      if (read) disks.push(read);
    },
    controller: { drop: S.controllers },
    interface: (el, p) => {
      if (++cards > MAX_CARDS) {
        if (cards === MAX_CARDS + 1) r.refuseText(`more than ${MAX_CARDS} network cards`, NO_GUEST_HAS);
        return;
      }
      readInterface(r, el, p, guest);
    },
    graphics: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      if (type === 'spice' || type === 'vnc') {
        if (graphics++ === 0) guest.display = type;
        else r.drop('a second display');
        // Its listener, ports, password, GL render node…: the model shows it without a listener.
        r.dropTree(el, p, S.display);
      } else if (type === 'egl-headless') r.dropTree(el, p, S.display);
      else r.refuse(el, p, 'shown on a screen, window or bus of the host');
    },
    video: (el, p) => {
      r.attributes(el, {});
      r.noText(el);
      if (videos++ > 0) {
        r.dropTree(el, p, 'a second display adapter');
        return;
      }
      r.children(el, {
        model: (model) => {
          const read = r.attributes(model, {
            type: 'read',
            heads: 'read',
            vram: { drop: S.videoSettings },
            vram64: { drop: S.videoSettings },
            ram: { drop: S.videoSettings },
            vgamem: { drop: S.videoSettings },
            primary: 'quiet',
            blob: { drop: S.videoSettings },
          });
          r.noText(model);
          // Heads, resolution and 3D are the owner's settings (SetDisplay): they travel, checked
          // again against this host's model when the definition is made (guest-definition.ts).
          let resolution: [number, number] = [0, 0];
          let accel3d = false;
          r.children(model, {
            acceleration: (acceleration) => {
              const a = r.leaf(acceleration, {
                accel3d: 'read',
                accel2d: { drop: S.videoSettings },
                rendernode: { drop: S.videoSettings },
              });
              accel3d = a.accel3d === 'yes';
            },
            resolution: (element) => {
              const { x, y } = r.leaf(element, { x: 'read', y: 'read' });
              const width = wholeNumber(x);
              const height = wholeNumber(y);
              if (width > 0 && height > 0) resolution = [width, height];
              else r.drop(S.videoSettings);
            },
          });
          const type = read.type;
          if (type !== undefined && includes(VIDEO_MODELS, type)) {
            guest.video = type as VideoModel;
            const heads = read.heads === undefined ? 1 : wholeNumber(read.heads);
            if (heads === 0) r.drop(S.videoSettings);
            guest.videoSettings = { heads: Math.max(heads, 1), resolution, accel3d };
          } else r.drop(`its ${shorten(type ?? 'unnamed')} display adapter`);
        },
        driver: { drop: S.videoSettings },
        address: 'quiet',
        alias: 'quiet',
        acpi: 'quiet',
      });
    },
    sound: (el) => {
      const { model } = r.attributes(el, { model: 'read', multichannel: { drop: 'sound card settings' } });
      r.noText(el);
      r.children(el, {
        codec: 'quiet',
        audio: 'quiet',
        address: 'quiet',
        alias: 'quiet',
        acpi: 'quiet',
        driver: 'quiet',
      });
      if (guest.sound !== undefined) r.drop('a second sound card');
      else if (model !== undefined && includes(SOUND_MODELS, model)) guest.sound = model as SoundModel;
      else r.drop(`its ${shorten(model ?? 'unnamed')} sound card`);
    },
    audio: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      if (type === 'spice' || type === 'none') r.dropTree(el, p, S.audio);
      else r.refuse(el, p, 'a sound server or file of the host');
    },
    tpm: (el, p) => readTpm(r, el, p, guest),
    input: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      if (['tablet', 'mouse', 'keyboard'].includes(type)) r.dropTree(el, p, S.input);
      else r.refuse(el, p, type === 'evdev' || type === 'passthrough' ? 'an input device of the host' : NOT_IN_MODEL);
    },
    channel: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      const target = childrenNamed(el, 'target')[0];
      const name = attributeOf(target, 'name') ?? '';
      const agent =
        (type === 'unix' && name === 'org.qemu.guest_agent.0') ||
        (type === 'spicevmc' && name === 'com.redhat.spice.0') ||
        (type === 'qemu-vdagent' && name === 'com.redhat.spice.0') ||
        type === 'spiceport';
      if (agent && attributeOf(target, 'type') === 'virtio') r.dropTree(el, p, S.agent);
      else r.refuse(el, p, `a channel between the guest and ${type === 'unix' ? 'a socket of the host' : 'the host'}`);
    },
    console: (el, p) => readCharacterDevice(r, el, p),
    serial: (el, p) => readCharacterDevice(r, el, p),
    parallel: { refuse: HOST_FILE },
    memballoon: (el, p) => r.dropTree(el, p, attributeOf(el, 'model') === 'none' ? undefined : S.balloon),
    rng: (el, p) => {
      const backend = childrenNamed(el, 'backend')[0];
      const model = attributeOf(backend, 'model');
      const source = backend?.text.trim() ?? '';
      const random = model === 'random' && ['', '/dev/urandom', '/dev/random'].includes(source);
      if (random || model === 'builtin') r.dropTree(el, p, S.rng);
      else r.refuse(el, p, `its ${model ?? ''} backend: a device or socket of the host`);
    },
    watchdog: (el, p) => {
      if (attributeOf(el, 'model') === 'itco') r.dropTree(el, p, S.watchdog);
      else r.refuse(el, p, NOT_IN_MODEL);
    },
    redirdev: (el, p) => {
      if (attributeOf(el, 'type') === 'spicevmc') r.dropTree(el, p, S.usbRedirection);
      else r.refuse(el, p, 'a USB device reached through the host');
    },
    redirfilter: { drop: S.usbRedirection },
    hostdev: { refuse: HOST_DEVICE },
    filesystem: { refuse: 'a folder of the host' },
    shmem: { refuse: 'memory shared with the host' },
    memory: { refuse: 'memory devices (a file of the host for NVDIMMs)' },
    lease: { refuse: 'a lock file of the host' },
    smartcard: { refuse: HOST_DEVICE },
    hub: { refuse: NOT_IN_MODEL },
    panic: { refuse: NOT_IN_MODEL },
    vsock: { refuse: NOT_IN_MODEL },
    iommu: { refuse: NOT_IN_MODEL },
    crypto: { refuse: 'the host’s crypto device' },
    pstore: { refuse: 'a file of the host' },
    nvram: { refuse: NOT_IN_MODEL },
  });
}

function readCharacterDevice(r: Reading, element: El, parent: string): void {
  const type = attributeOf(element, 'type') ?? 'pty';
  if (type === 'pty' && !element.children.some((c) => c.name === 'log')) r.dropTree(element, parent, S.consoles);
  else r.refuse(element, parent, HOST_FILE);
}

function readDisk(
  r: Reading,
  disk: El,
  parent: string,
  images: ReadonlyMap<string, BundleImage>,
): DiskRead | undefined {
  const { type, device } = r.attributes(disk, {
    type: 'read',
    device: 'read',
    snapshot: 'quiet',
    model: 'quiet',
    rawio: { refuse: 'raw access to a device of the host' },
    sgio: { refuse: 'raw access to a device of the host' },
  });
  r.noText(disk);
  const kind = device ?? 'disk';
  if (kind !== 'disk' && kind !== 'cdrom') {
    r.refuse(disk, parent, kind === 'lun' ? HOST_DEVICE : NOT_IN_MODEL, ['type', 'device']);
    return undefined;
  }
  const sourceKind = type ?? 'file';
  if (sourceKind !== 'file' && sourceKind !== 'volume') {
    const why: Record<string, string> = {
      block: 'a block device of the host',
      dir: 'a folder of the host',
      network: 'storage on the network, reached from the host',
      nvme: HOST_DEVICE,
      vhostuser: 'a socket of the host',
      vhostvdpa: HOST_DEVICE,
    };
    r.refuse(disk, parent, why[sourceKind] ?? NOT_IN_MODEL, ['type', 'device']);
    return undefined;
  }
  let target: Record<string, string> = {};
  let format = '';
  let bootOrder = Number.MAX_SAFE_INTEGER;
  let source = false;
  let backing = false;
  let readonly = false;
  r.children(disk, {
    driver: (el) => {
      const read = r.attributes(el, {
        name: 'read',
        type: 'read',
        cache: { drop: S.diskTuning },
        error_policy: { drop: S.diskTuning },
        rerror_policy: { drop: S.diskTuning },
        io: { drop: S.diskTuning },
        ioeventfd: { drop: S.diskTuning },
        event_idx: { drop: S.diskTuning },
        copy_on_read: { drop: S.diskTuning },
        discard: { drop: S.diskTuning },
        discard_no_unref: { drop: S.diskTuning },
        detect_zeroes: { drop: S.diskTuning },
        iothread: { drop: S.diskTuning },
        queues: { drop: S.diskTuning },
        queue_size: { drop: S.diskTuning },
        packed: { drop: S.diskTuning },
        page_per_vq: { drop: S.diskTuning },
        iommu: { drop: S.diskTuning },
        ats: { drop: S.diskTuning },
        metadata_cache: { drop: S.diskTuning },
      });
      r.noText(el);
      r.children(el, { metadata_cache: { drop: S.diskTuning }, iothreads: { drop: S.diskTuning } });
      if (read.name !== undefined && read.name !== 'qemu')
        r.refuseText(`<driver name='${shorten(read.name)}'>`, 'only QEMU disks');
      format = read.type ?? 'raw';
    },
    // The image comes from the bundle; where it was on the old host is no concern here.
    source: (el) => {
      source = true;
      r.foreignIn(el, 'disk');
    },
    backingStore: (el) => {
      if (el.children.length > 0 || el.attributes.length > 0) backing = true;
      r.foreignIn(el, 'disk');
    },
    target: (el) => {
      target = r.leaf(el, {
        dev: 'read',
        bus: 'read',
        tray: 'quiet',
        removable: { drop: S.diskIds },
        rotation_rate: { drop: S.diskIds },
      });
    },
    boot: (el) => {
      const { order } = r.leaf(el, { order: 'read', loadparm: 'quiet' });
      if (order !== undefined && INTEGER.test(order)) bootOrder = Number(order);
    },
    readonly: (el) => {
      readonly = true;
      r.leaf(el, {});
    },
    serial: { drop: S.diskIds },
    wwn: { drop: S.diskIds },
    vendor: { drop: S.diskIds },
    product: { drop: S.diskIds },
    iotune: { drop: S.diskTuning },
    blockio: { drop: S.diskTuning },
    geometry: { drop: S.diskTuning },
    throttlefilters: { drop: S.diskTuning },
    address: 'quiet',
    alias: 'quiet',
    shareable: { refuse: 'shared with other guests of the old host' },
    transient: { refuse: NOT_IN_MODEL },
    encryption: { refuse: 'encrypted with a secret of the old host, which does not travel' },
    auth: { refuse: 'storage on the network, reached from the host' },
    mirror: { refuse: 'a copy to a file of the host' },
    reservations: { refuse: 'a socket of the host' },
  });
  const dev = target.dev ?? '';
  const bus = target.bus ?? '';
  const named = `${kind} ${shorten(dev) || '(no target)'}`;
  if (kind === 'cdrom') {
    if (source) r.drop(S.media);
    if (!includes(MEDIA_BUSES, bus) || !/^sd[a-z]{1,2}$/.test(dev)) {
      r.refuseText(
        `the ${named} on bus '${shorten(bus)}'`,
        `the model's CD drives are on ${MEDIA_BUSES.join(' or ')}, named sd…`,
      );
      return undefined;
    }
    return { disk: undefined, media: { dev, bus: bus as MediaBus }, bootOrder };
  }
  if (!includes(DISK_BUSES, bus) || !DISK_DEV[bus]?.test(dev)) {
    r.refuseText(
      `the ${named} on bus '${shorten(bus)}'`,
      `the model's disks are on ${DISK_BUSES.join(', ')} (vd… for virtio, sd… for the others)`,
    );
    return undefined;
  }
  if (readonly) r.refuseText(`the ${named} read-only`, NOT_IN_MODEL);
  const image = images.get(dev);
  if (!source) {
    if (image) r.refuseText(`the ${named}`, 'it is empty in the definition but the bundle has its image: damaged');
    else r.drop('empty disk drives');
    return undefined;
  }
  if (!image) {
    r.refuseText(`the ${named}`, 'the bundle has no image for it: the bundle is incomplete');
    return undefined;
  }
  if (backing && !image.flattened) {
    r.refuseText(
      `the ${named}'s backing chain`,
      'an image that reads a base image of the old host; export it flattened',
    );
  } else if (backing) r.drop('backing chains (flattened into the images)');
  if (!image.flattened && format !== image.format) {
    r.refuseText(
      `the ${named}`,
      `the definition says ${shorten(format)} and the bundle's image is ${image.format}: damaged`,
    );
  }
  if (!includes(DISK_FORMATS, image.format)) {
    r.refuseText(`the ${named}'s ${shorten(image.format)} image`, `the model's disks are ${DISK_FORMATS.join(' or ')}`);
    return undefined;
  }
  return { disk: { dev, bus: bus as DiskBus, format: image.format as DiskFormat }, media: undefined, bootOrder };
}

function readInterface(r: Reading, element: El, parent: string, guest: StatedGuest): void {
  const { type } = r.attributes(element, { type: 'read', trustGuestRxFilters: { drop: S.network } });
  r.noText(element);
  if (type !== 'network' && type !== 'user' && type !== 'bridge') {
    r.refuse(element, parent, 'a network device, socket or program of the host', ['type']);
    return;
  }
  let mac = '';
  let model: NetModel | undefined;
  let modelSeen = false;
  r.children(element, {
    mac: (el) => {
      const { address } = r.leaf(el, { address: 'read', type: 'quiet', check: 'quiet' });
      const value = (address ?? '').toLowerCase();
      // A unicast address, not all zeros: the guest's own identity on the network.
      if (!MAC.test(value) || parseInt(value.slice(0, 2), 16) % 2 === 1 || /^(00:){5}00$/.test(value)) {
        r.refuseText(`the MAC address '${shorten(address ?? '')}'`, 'not a unicast MAC address');
      } else mac = value;
    },
    model: (el) => {
      modelSeen = true;
      const { type: name } = r.leaf(el, { type: 'read' });
      if (name !== undefined && includes(NET_MODELS, name)) model = name as NetModel;
      else r.drop(`its ${shorten(name ?? 'unnamed')} network card model`);
    },
    source: (el, p) => {
      // The network it was on is the old host's; a card goes on this host's network (or user-mode networking).
      if (type === 'network' && attributeOf(el, 'network') === 'default') r.foreignIn(el, p);
      else r.dropTree(el, p, S.network);
    },
    target: 'quiet',
    driver: { drop: S.network },
    bandwidth: { drop: S.network },
    vlan: { drop: S.network },
    virtualport: { drop: S.network },
    link: { drop: S.network },
    mtu: { drop: S.network },
    coalesce: { drop: S.network },
    tune: { drop: S.network },
    port: { drop: S.network },
    guest: { drop: S.network },
    teaming: { drop: S.network },
    filterref: { drop: 'network filters' },
    ip: { drop: S.network },
    route: { drop: S.network },
    portForward: { drop: 'forwarded ports' },
    rom: (el, p) => {
      if (attributeOf(el, 'file') !== undefined) r.refuse(el, p, 'a file of the host', []);
      else r.dropTree(el, p, S.network);
    },
    boot: 'quiet',
    address: 'quiet',
    alias: 'quiet',
    acpi: 'quiet',
    script: { refuse: 'a program of the host' },
    downscript: { refuse: 'a program of the host' },
    backend: { refuse: 'a device or program of the host' },
  });
  if (!mac) {
    // libvirt gives every card a MAC address when it is defined: one without is no card of a real guest.
    r.refuseText('a network card without a MAC address', 'its address travels with it');
    return;
  }
  if (guest.interfaces.some((i) => i.mac === mac))
    r.refuseText(`the MAC address ${mac} twice`, 'each card has its own');
  if (!modelSeen) r.drop('network cards of no model');
  guest.interfaces.push({ model, mac });
}

function readTpm(r: Reading, element: El, parent: string, guest: StatedGuest): void {
  const { model } = r.attributes(element, { model: 'read' });
  r.noText(element);
  if (guest.tpm !== undefined) {
    r.refuse(element, parent, 'a second TPM');
    return;
  }
  const tpmModel = model ?? 'tpm-tis';
  if (!includes(TPM_MODELS, tpmModel)) {
    r.refuse(element, parent, `the model has ${TPM_MODELS.join(' and ')} TPMs`);
    return;
  }
  let emulated = false;
  r.children(element, {
    backend: (el) => {
      const read = r.attributes(el, {
        type: 'read',
        version: 'read',
        persistent_state: { drop: 'TPM settings' },
        debug: 'quiet',
      });
      r.noText(el);
      if (read.type !== 'emulator') {
        r.refuse(el, 'tpm', read.type === 'passthrough' ? 'the host’s own TPM' : NOT_IN_MODEL, ['type']);
        return;
      }
      if (read.version !== undefined && read.version !== '2.0') {
        r.refuseText(`a TPM ${shorten(read.version)}`, 'the model has TPM 2.0');
        return;
      }
      emulated = true;
      r.children(el, {
        encryption: { refuse: 'its state encrypted with a secret of the old host, which does not travel' },
        active_pcr_banks: { drop: 'TPM settings' },
        profile: { drop: 'TPM settings' },
        source: { drop: 'TPM settings' },
        device: { refuse: 'the host’s own TPM' },
      });
    },
    address: 'quiet',
    alias: 'quiet',
  });
  if (emulated) guest.tpm = tpmModel as TpmModel;
}
