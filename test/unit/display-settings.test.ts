// A guest's display, without libvirt: what its definition says (video-xml.ts),
// what it may be set to (display-settings.ts), the definition written back,
// and the monitors of its heads in our metadata.

import { describe, expect, it } from 'vitest';
import {
  MAX_HEADS,
  planVideo,
  runningDifferences,
  videoLimits,
  whyNoAccel3d,
  type Accel3dHost,
} from '../../service/guests/display-settings.js';
import { parseDomainXml } from '../../service/libvirt/domain-xml.js';
import {
  parseSwitcherSettings,
  serializeSwitcherSettings,
  validateMonitors,
} from '../../service/libvirt/switcher-metadata.js';
import { NO_VIDEO, withVideo, type VideoFacts } from '../../service/libvirt/video-xml.js';
import { metadataElement } from '../../service/libvirt/domain-xml.js';
import { SWITCHER_NS } from '../../service/libvirt/switcher-metadata.js';
import { xmlParser, type Node } from '../../service/xml/plain.js';
import type { Guest } from '../../service/guests/guest.js';
import { viewerResizeArgs } from '../../service/viewers/viewer-manager.js';
import { domainXmlProblems } from '../support/validate-xml.js';

const domain = (devices: string): string => `<domain type='qemu'>
  <name>duo</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <metadata><other:note xmlns:other="http://example.com/other">kept</other:note></metadata>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    ${devices}
  </devices>
</domain>`;

const SPICE = "<graphics type='spice'><listen type='none'/></graphics>";
const VNC = "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>";
const video = (model: string, inner = '', attributes = ''): string =>
  `<video><model type='${model}' primary='yes'${attributes}>${inner}</model></video>`;

const HOST: Accel3dHost = { opengl: true, renderNode: true, virtioGpu: true };
const NO_RENDER_NODE: Accel3dHost = { ...HOST, renderNode: false };
const facts = (xml: string): VideoFacts => parseDomainXml(xml).video;

describe("a guest's video device, as its definition says", () => {
  it('reads the primary video device: model, heads, resolution, 3D, video memory', () => {
    const xml = domain(
      `${SPICE}<video><model type='vga'/></video>${video('virtio', "<acceleration accel3d='yes'/><resolution x='5120' y='2880'/>", " heads='2'")}`,
    );
    expect(facts(xml)).toEqual({
      model: 'virtio',
      heads: 2,
      resolution: [5120, 2880],
      accel3d: true,
      framebufferKiB: 0,
    });
    expect(facts(domain(video('bochs', '', " vram='65536'")))).toMatchObject({ model: 'bochs', framebufferKiB: 65536 });
    expect(facts(domain(video('qxl', '', " vram='65536' vgamem='32768'")))).toMatchObject({ framebufferKiB: 32768 });
  });

  it('is none for a guest without one (a passed-through GPU), and 1 head when libvirt says none', () => {
    expect(facts(domain(''))).toEqual(NO_VIDEO);
    expect(facts(domain("<video><model type='none'/></video>"))).toEqual(NO_VIDEO);
    expect(facts(domain("<video><model type='virtio'/></video>"))).toMatchObject({ heads: 1, resolution: [0, 0] });
  });

  it('takes no egl-headless display for the one a viewer opens', () => {
    const xml = domain(`<graphics type='egl-headless'/>${VNC}${video('virtio')}`);
    expect(parseDomainXml(xml).display).toBe('vnc');
  });
});

describe('what a display may be set to', () => {
  const virtio = facts(domain(`${SPICE}${video('virtio')}`));

  it('takes 1 to 4 heads on virtio, and 5120×2880 on two of them', () => {
    expect(planVideo('duo', virtio, 'spice', { heads: 2, resolution: [5120, 2880] }, HOST)).toEqual({
      heads: 2,
      resolution: [5120, 2880],
      accel3d: false,
      framebufferKiB: 0,
    });
    expect(planVideo('duo', virtio, 'spice', { heads: MAX_HEADS }, HOST).heads).toBe(4);
  });

  it.each([
    [{ heads: 0 }, /1 to 4 heads, not 0/],
    [{ heads: 9 }, /1 to 4 heads, not 9/],
    [{ heads: 2.5 }, /not 2.5/],
    [{ resolution: [0, 0] as [number, number] }, /at least 640×480, not 0×0/],
    [{ resolution: [100, 100] as [number, number] }, /at least 640×480/],
    [{ resolution: [9000, 2000] as [number, number] }, /at most 8192×8192, not 9000×2000/],
    [
      { heads: 4, resolution: [8192, 8192] as [number, number] },
      /need 1024 MiB of video memory; duo's virtio video device has 256 MiB/,
    ],
    [{}, /Say what to change/],
  ])('refuses %j with InvalidArgument saying why', (request, why) => {
    expect(() => planVideo('duo', virtio, 'spice', request, HOST)).toThrow(why);
    try {
      planVideo('duo', virtio, 'spice', request, HOST);
    } catch (error) {
      expect((error as { kind: string }).kind).toBe('InvalidArgument');
    }
  });

  it('refuses what the video model cannot do: heads on vga, a resolution on cirrus, 3D on bochs', () => {
    const vga = facts(domain(`${SPICE}${video('vga')}`));
    expect(() => planVideo('old', vga, 'spice', { heads: 2 }, HOST)).toThrow(/vga video device takes 1 head, not 2/);
    const cirrus = facts(domain(`${SPICE}${video('cirrus')}`));
    expect(() => planVideo('old', cirrus, 'spice', { resolution: [1024, 768] }, HOST)).toThrow(/takes no resolution/);
    const bochs = facts(domain(`${SPICE}${video('bochs')}`));
    expect(() => planVideo('old', bochs, 'spice', { accel3d: true }, HOST)).toThrow(/3D needs a virtio one/);
    expect(() => planVideo('old', NO_VIDEO, '', { heads: 1 }, HOST)).toThrow(/has no video device/);
  });

  it('refuses two heads on a VNC display, which shows one', () => {
    const vnc = facts(domain(`${VNC}${video('virtio')}`));
    expect(() => planVideo('duo', vnc, 'vnc', { heads: 2 }, HOST)).toThrow(/vnc display shows one head/);
  });

  it('grows vga and bochs video memory to what a resolution needs (256 MiB for 8192×8192); never qxl’s', () => {
    const bochs = facts(domain(`${SPICE}${video('bochs')}`));
    expect(planVideo('w', bochs, 'spice', { resolution: [1920, 1080] }, HOST).framebufferKiB).toBe(0);
    expect(planVideo('w', bochs, 'spice', { resolution: [5120, 2880] }, HOST).framebufferKiB).toBe(65536);
    expect(planVideo('w', bochs, 'spice', { resolution: [8192, 8192] }, HOST).framebufferKiB).toBe(262144);
    const qxl = facts(domain(`${SPICE}${video('qxl')}`));
    expect(() => planVideo('q', qxl, 'spice', { resolution: [5120, 2880] }, HOST)).toThrow(
      /qxl video device has 16 MiB/,
    );
  });

  it("says 3D's lack as the host's (MissingHostFeature) or the guest's (InvalidArgument)", () => {
    expect(() => planVideo('duo', virtio, 'spice', { accel3d: true }, NO_RENDER_NODE)).toThrow(
      expect.objectContaining({ kind: 'MissingHostFeature', message: expect.stringMatching(/no GPU render node/) }),
    );
    expect(() =>
      planVideo('duo', virtio, 'spice', { accel3d: true }, new Error('test:///default says nothing')),
    ).toThrow(expect.objectContaining({ kind: 'MissingHostFeature' }));
    expect(planVideo('duo', virtio, 'spice', { accel3d: true }, HOST).accel3d).toBe(true);
    // Turning it off never needs the host.
    const on = { ...virtio, accel3d: true };
    expect(planVideo('duo', on, 'spice', { accel3d: false }, NO_RENDER_NODE).accel3d).toBe(false);
    expect(whyNoAccel3d({ ...HOST, opengl: false }, virtio, 'spice')?.message).toMatch(/no OpenGL/);
    expect(whyNoAccel3d(HOST, virtio, '')?.message).toMatch(/screen of its own/);
    expect(whyNoAccel3d(HOST, virtio, 'spice')).toBeUndefined();
  });

  it("tells each model's limits", () => {
    expect(videoLimits(virtio)).toEqual({
      model: 'virtio',
      maxHeads: 4,
      maxWidth: 8192,
      maxHeight: 8192,
      maxPixels: 67108864,
    });
    expect(videoLimits(facts(domain(video('cirrus'))))).toMatchObject({ maxHeads: 1, maxWidth: 0, maxPixels: 0 });
    expect(videoLimits(NO_VIDEO).maxHeads).toBe(0);
  });

  it('says what a running guest runs with where its definition differs', () => {
    const next = { ...virtio, heads: 2, resolution: [5120, 2880] as [number, number] };
    expect(runningDifferences(next, virtio)).toEqual({ heads: 1, resolution: [0, 0] });
    expect(runningDifferences(next, next)).toEqual({});
    expect(runningDifferences(next, null)).toEqual({});
  });
});

describe("a guest's viewer", () => {
  const guest = (video: VideoFacts, runningVideo: VideoFacts | null): Guest => ({ video, runningVideo }) as Guest;
  const fixed = { ...NO_VIDEO, model: 'virtio', resolution: [5120, 2880] as [number, number] };
  const following = { ...NO_VIDEO, model: 'virtio' };

  it('keeps a fixed resolution, scaled, rather than resizing the guest to its window', () => {
    expect(viewerResizeArgs(guest(fixed, null))).toEqual(['--auto-resize=never']);
    expect(viewerResizeArgs(guest(following, null))).toEqual([]);
  });

  it('goes by what the guest runs with, not what its next start takes', () => {
    expect(viewerResizeArgs(guest(following, fixed))).toEqual(['--auto-resize=never']);
    expect(viewerResizeArgs(guest(fixed, following))).toEqual([]);
  });
});

describe('the definition written back', () => {
  it('sets heads and <resolution>, keeping everything else, valid for libvirt', () => {
    const xml = domain(`${SPICE}${video('virtio')}`);
    const out = withVideo(xml, { heads: 2, resolution: [5120, 2880], accel3d: false, framebufferKiB: 0 });
    expect(facts(out)).toEqual({
      model: 'virtio',
      heads: 2,
      resolution: [5120, 2880],
      accel3d: false,
      framebufferKiB: 0,
    });
    expect(out).toContain('<other:note xmlns:other="http://example.com/other">kept</other:note>');
    expect(domainXmlProblems(out)).toBe('');
    // Back to following the window: no <resolution> left.
    const back = withVideo(out, { heads: 1, resolution: [0, 0], accel3d: false, framebufferKiB: 0 });
    expect(back).not.toContain('resolution');
    expect(facts(back)).toMatchObject({ heads: 1, resolution: [0, 0] });
  });

  it('turns 3D on with SPICE’s own GL, and off again leaving nothing of it', () => {
    const xml = domain(`${SPICE}${video('virtio')}`);
    const on = withVideo(xml, { heads: 1, resolution: [0, 0], accel3d: true, framebufferKiB: 0 });
    expect(on).toMatch(/<gl enable="yes"\/?>/);
    expect(on).toMatch(/<acceleration accel3d="yes"\/?>/);
    expect(domainXmlProblems(on)).toBe('');
    const off = withVideo(on, { heads: 1, resolution: [0, 0], accel3d: false, framebufferKiB: 0 });
    expect(off).not.toMatch(/<gl|acceleration/);
  });

  it('gives a VNC guest 3D through egl-headless, after its VNC display', () => {
    const on = withVideo(domain(`${VNC}${video('virtio')}`), {
      heads: 1,
      resolution: [0, 0],
      accel3d: true,
      framebufferKiB: 0,
    });
    expect(parseDomainXml(on).display).toBe('vnc');
    expect(on.indexOf('type="vnc"')).toBeLessThan(on.indexOf('egl-headless'));
    expect(domainXmlProblems(on)).toBe('');
    const off = withVideo(on, { heads: 1, resolution: [0, 0], accel3d: false, framebufferKiB: 0 });
    expect(off).not.toContain('egl-headless');
  });

  it('gives SPICE on the network 3D through egl-headless too, not its own GL (QEMU takes one OpenGL display)', () => {
    const network = "<graphics type='spice' autoport='yes'><listen type='address' address='0.0.0.0'/></graphics>";
    const on = withVideo(domain(`${network}${video('virtio')}`), {
      heads: 1,
      resolution: [0, 0],
      accel3d: true,
      framebufferKiB: 0,
    });
    expect(on).not.toContain('<gl');
    expect(on).toContain('egl-headless');
    expect(domainXmlProblems(on)).toBe('');
  });

  it('raises vga’s video memory when told to', () => {
    const out = withVideo(domain(`${SPICE}${video('vga')}`), {
      heads: 1,
      resolution: [5120, 2880],
      accel3d: false,
      framebufferKiB: 65536,
    });
    expect(facts(out)).toMatchObject({ resolution: [5120, 2880], framebufferKiB: 65536 });
    expect(domainXmlProblems(out)).toBe('');
  });
});

describe("the monitors of a guest's heads, in our metadata", () => {
  const ours = (xml: string) => {
    const metadata = (xmlParser.parse(`<metadata>${xml}</metadata>`) as Node).metadata as Node;
    return parseSwitcherSettings(metadataElement(metadata, SWITCHER_NS));
  };
  const withPrefix = (inner: string): string =>
    `<phyllome:switcher xmlns:phyllome="${SWITCHER_NS}">${inner}</phyllome:switcher>`;

  it('keeps one connector per head, head 1 as before', () => {
    const settings = { monitor: 'Meta-0', headMonitors: ['Meta-1'], usbRules: [], seat: '' };
    const xml = serializeSwitcherSettings(settings);
    expect(xml).toBe('<switcher><monitor connector="Meta-0"/><monitor head="2" connector="Meta-1"/></switcher>');
    expect(
      ours(
        xml
          .replaceAll('<', '<phyllome:')
          .replaceAll('<phyllome:/', '</phyllome:')
          .replace('<phyllome:switcher>', `<phyllome:switcher xmlns:phyllome="${SWITCHER_NS}">`),
      ),
    ).toEqual(settings);
  });

  it('reads malformed, repeated or out-of-range heads as nothing, never as something else', () => {
    expect(
      ours(
        withPrefix(
          '<phyllome:monitor head="9" connector="DP-9"/><phyllome:monitor head="x" connector="DP-8"/><phyllome:monitor head="3" connector="DP-3"/><phyllome:monitor head="3" connector="DP-4"/>',
        ),
      ),
    ).toMatchObject({ monitor: '', headMonitors: ['', 'DP-3'] });
    // One monitor for two heads: only head 1's stands.
    expect(
      ours(withPrefix('<phyllome:monitor connector="DP-1"/><phyllome:monitor head="2" connector="DP-1"/>')),
    ).toMatchObject({ monitor: 'DP-1', headMonitors: [] });
  });

  it('refuses a monitor for two heads, more than four, and names that are no connector', () => {
    expect(validateMonitors(['Meta-0', '', ''])).toEqual(['Meta-0']);
    expect(validateMonitors(['', 'Meta-1'])).toEqual(['', 'Meta-1']);
    expect(() => validateMonitors(['Meta-0', 'Meta-0'])).toThrow(/Meta-0 is given for two heads/);
    expect(() => validateMonitors(['a', 'b', 'c', 'd', 'e'])).toThrow(/at most 4 monitors, not 5/);
    expect(() => validateMonitors(['DP-1', '../x'])).toThrow(/not a monitor connector name/);
  });
});
