// npm run bench [-- list|events|usb|switch|create|stats|idle]: the service's figures beside the
// alternatives. Prints; asserts nothing. See README for the targets.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ServiceStack, ROOT } from '../test/support/stack.js';
import { libvirtCall, libvirtDomainPath, tinyQemuGuestXml } from '../test/support/libvirt.js';
import { UsbLab } from '../test/support/usb-lab.js';
import { installerIso, WINDOWS_11_LABEL } from '../test/support/installer-iso.js';
import { startServiceInLab } from '../test/support/usb-service.js';
import { RawClient, type RawArg } from './raw-client.js';
import { hrMs, ms, summarize, type Summary } from './stats.js';
import { procStat, timerCount } from './proc.js';

const SERVICE = 'me.phyllo.Switcher1';
const MANAGER_PATH = '/me/phyllo/Switcher1';
const MANAGER = 'me.phyllo.Switcher1.Manager';
const WIN11 = 'http://microsoft.com/win/11';
const fmt = (s: Summary): string => `p50 ${ms(s.p50).padStart(9)}  p99 ${ms(s.p99).padStart(9)}`;

async function timeRaw(
  client: RawClient,
  count: number,
  target: [string, string, string, string, RawArg[]?],
): Promise<Summary> {
  const [dest, path, iface, member, args = []] = target;
  for (let i = 0; i < Math.min(200, count); i++) await client.call(dest, path, iface, member, args); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const type = await client.call(dest, path, iface, member, args);
    samples.push(hrMs(start));
    if (type !== 2) throw new Error(`${member} failed`);
  }
  return summarize(samples);
}

function qemuDomainXml(index: number): string {
  return `<domain type='qemu'><name>bench-${String(index).padStart(4, '0')}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
    <os><type arch='x86_64' machine='q35'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>`;
}

/** `virsh list --all` timed inside libvirtd's namespace, so nsenter's own cost is not counted. */
function timeVirsh(namespacePid: number, runs: number): Summary {
  const script = `for i in $(seq ${runs}); do s=$(date +%s%N); virsh -c qemu:///system list --all >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); done`;
  const out = execFileSync('nsenter', ['--mount', '--target', String(namespacePid), 'sh', '-c', script], {
    encoding: 'utf8',
  });
  return summarize(
    out
      .trim()
      .split('\n')
      .map((us) => Number(us) / 1000),
  );
}

async function benchList(): Promise<void> {
  console.log(
    '\n== ListGuests vs libvirt-dbus ListDomains vs virsh list --all (real libvirtd, guests defined, not running)',
  );
  const stack = await ServiceStack.start({ realLibvirtd: true, withService: false });
  try {
    let defined = 0;
    for (const n of [10, 100, 1000]) {
      while (defined < n) {
        await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
          qemuDomainXml(defined),
        ]);
        defined++;
      }
      const started = process.hrtime.bigint();
      await stack.startService('qemu:///session');
      const startup = hrMs(started);
      const listed = (await stack.client.listGuests()).length;
      const raw = await RawClient.connect(stack.bus.address);
      const ours = await timeRaw(raw, 2000, [SERVICE, MANAGER_PATH, MANAGER, 'ListGuests']);
      const libvirt = await timeRaw(raw, 500, [
        'org.libvirt',
        '/org/libvirt/QEMU',
        'org.libvirt.Connect',
        'ListDomains',
        [{ u: 0 }],
      ]);
      raw.close();
      const virsh = timeVirsh(stack.libvirtdNamespacePid as number, n >= 1000 ? 20 : 40);
      console.log(
        `${String(n).padStart(5)} guests (${listed} listed, service up and in sync in ${ms(startup)})\n` +
          `   ListGuests (ours)        ${fmt(ours)}\n` +
          `   ListDomains (libvirt-dbus) ${fmt(libvirt)}   ours is ${(libvirt.p50 / ours.p50).toFixed(1)}× faster at p50\n` +
          `   virsh list --all          ${fmt(virsh)}   ours is ${(virsh.p50 / ours.p50).toFixed(0)}× faster at p50`,
      );
      await stack.service?.stop();
    }
  } finally {
    await stack.stop();
  }
}

async function benchEvents(): Promise<void> {
  console.log('\n== libvirt DomainEvent -> our PropertiesChanged, seen by one client (test driver)');
  const stack = await ServiceStack.start();
  try {
    const client = stack.client;
    await client.watch();
    await client.watch('org.libvirt');
    const guest = await client.guestByName('test');
    const libvirtPath = await libvirtDomainPath(stack, 'test');
    const latencies: number[] = [];
    for (let i = 0; i < 600; i++) {
      const from = client.signals.length;
      const member = i % 2 === 0 ? 'Suspend' : 'Resume';
      await client.call('org.libvirt', libvirtPath, 'org.libvirt.Domain', member);
      const theirs = await client.waitForSignal((s) => s.member === 'DomainEvent', 2_000, from);
      const ours = await client.waitForSignal((s) => s.member === 'PropertiesChanged' && s.path === guest, 2_000, from);
      if (i >= 100) latencies.push(Number(ours.at - theirs.at) / 1e6);
    }
    console.log(
      `   event -> PropertiesChanged  ${fmt(summarize(latencies))}  (n=${latencies.length}; target p99 <= 20 ms)`,
    );

    // Define -> GuestAdded, for the "within 100 ms" promise.
    const adds: number[] = [];
    for (let i = 0; i < 50; i++) {
      const from = client.signals.length;
      const start = process.hrtime.bigint();
      await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
        `<domain type='test'><name>ev-${i}</name><memory>65536</memory><os><type>hvm</type></os></domain>`,
      ]);
      const added = await client.waitForSignal((s) => s.member === 'GuestAdded', 2_000, from);
      adds.push(Number(added.at - start) / 1e6);
    }
    console.log(`   DomainDefineXML -> GuestAdded ${fmt(summarize(adds))}  (n=${adds.length}; target <= 100 ms)`);
  } finally {
    await stack.stop();
  }
}

async function benchIdle(seconds: number, calls: number): Promise<void> {
  console.log(`\n== ${seconds} s idle, then ${calls} calls (test driver, 100 guests)`);
  const probe = resolve(ROOT, 'build/bench/timer-probe.js');
  const extra = (process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const stack = await ServiceStack.start({ nodeArgs: [...extra, '--import', probe] });
  try {
    for (let i = 0; i < 99; i++) {
      await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
        `<domain type='test'><name>idle-${i}</name><memory>65536</memory><os><type>hvm</type></os></domain>`,
      ]);
    }
    await new Promise((r) => setTimeout(r, 2_000)); // let start-up settle
    const pid = stack.service?.pid as number;
    const timersBefore = await timerCount(stack);
    const before = procStat(pid);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = procStat(pid);
    const timersAfter = await timerCount(stack);
    console.log(
      `   CPU time used            ${(after.cpuMs - before.cpuMs).toFixed(0)} ms in ${seconds} s\n` +
        `   timer callbacks fired    ${timersAfter - timersBefore}  (target 0)\n` +
        `   main-thread wake-ups     ${after.mainSwitches - before.mainSwitches} context switches\n` +
        `   RSS idle                 ${after.rssMiB.toFixed(1)} MiB  (target <= 60 MB)`,
    );

    const raw = await RawClient.connect(stack.bus.address);
    const guest = await stack.client.guestByName('test');
    const mix: [string, string, string, string, RawArg[]][] = [
      [SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', []],
      [SERVICE, guest, 'org.freedesktop.DBus.Properties', 'GetAll', ['me.phyllo.Switcher1.Guest']],
      [SERVICE, MANAGER_PATH, MANAGER, 'FindGuest', ['no-such-guest']], // an error reply
      [SERVICE, guest, 'org.freedesktop.DBus.Introspectable', 'Introspect', []],
    ];
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      const [dest, path, iface, member, args] = mix[i % mix.length] as (typeof mix)[number];
      await raw.call(dest, path, iface, member, args);
    }
    const elapsed = hrMs(start);
    raw.close();
    await new Promise((r) => setTimeout(r, 1_000));
    const busy = procStat(pid);
    // V8 gives memory back once the process has been idle a while (its memory reducer): wait for it.
    await new Promise((r) => setTimeout(r, 15_000));
    const end = procStat(pid);
    console.log(
      `   ${calls} calls in ${(elapsed / 1000).toFixed(1)} s (${((calls / elapsed) * 1000).toFixed(0)}/s)\n` +
        `   RSS 1 s after the calls  ${busy.rssMiB.toFixed(1)} MiB, growth ${(busy.rssMiB - after.rssMiB).toFixed(1)} MiB\n` +
        `   RSS 16 s after the calls ${end.rssMiB.toFixed(1)} MiB, growth ${(end.rssMiB - after.rssMiB).toFixed(1)} MiB  (target <= 5 MB)`,
    );
  } finally {
    await stack.stop();
  }
}

/** A sticky device plugged in, to its guest: time spent in the service, udev event to AttachDevice returned. */
async function benchUsb(replugs: number): Promise<void> {
  console.log(
    `\n== USB: device plugged -> AttachDevice for its sticky guest returned (real libvirtd, ${replugs} replugs, recorded devices)`,
  );
  const stack = await ServiceStack.start({ realLibvirtd: true, withService: false });
  const lab = await UsbLab.start({ group: stack.group });
  try {
    for (const name of ['xhci-root-hub', 'dell-kb216', 'logitech-mouse', 'cruzer-blade-a']) await lab.add(name);
    const service = await startServiceInLab(stack, lab, 'qemu:///session');
    const tiny = tinyQemuGuestXml('usb-bench', { usb: true });
    const [path] = await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [tiny]);
    await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    const guest = await stack.client.waitForGuest('usb-bench');
    await stack.client.waitForProperty(guest, 'State', 'running');
    await stack.client.service('/me/phyllo/Switcher1/usb/1_5', 'me.phyllo.Switcher1.UsbDevice', 'SetRule', 'oss', [
      guest,
      'always',
      'device',
    ]);
    const timings = (): number[] =>
      [...service.output().matchAll(/USB rule timing: udev event -> AttachDevice returned in ([\d.]+) ms/g)].map((m) =>
        Number(m[1]),
      );
    for (let i = 0; i < replugs; i++) {
      const before = timings().length;
      await lab.remove('cruzer-blade-a');
      await lab.add('cruzer-blade-a');
      for (let j = 0; j < 200 && timings().length === before; j++) await new Promise((r) => setTimeout(r, 10));
    }
    const samples = timings();
    console.log(`   in the service: ${fmt(summarize(samples))}  (n=${samples.length})`);
    const refusal = /not moved: (.*)/.exec(service.output())?.[1] ?? '';
    console.log(`   libvirt's answer here (no USB bus on this machine): ${refusal}`);
    await service.stop();
  } finally {
    await lab.stop();
    await stack.stop();
  }
}

/** Runs a bench script (build/bench/NAME.js) beside a real GNOME Shell with the extension enabled. */
function besideShell(script: string, monitors: number): void {
  const work = mkdtempSync(join(tmpdir(), 'phyllome-bench-'));
  try {
    execFileSync('bash', [resolve(ROOT, 'test/shell/build-rootfs.sh')], { stdio: 'inherit' });
    const extensions = join(work, 'data/gnome-shell/extensions');
    mkdirSync(extensions, { recursive: true });
    cpSync(resolve(ROOT, 'build/extension/switcher@phyllo.me'), join(extensions, 'switcher@phyllo.me'), {
      recursive: true,
    });
    execFileSync(
      'bash',
      [
        resolve(ROOT, 'test/shell/run-shell.sh'),
        '--monitors',
        String(monitors),
        '--data-home',
        join(work, 'data'),
        '--enable',
        'switcher@phyllo.me',
        '--',
        process.execPath,
        resolve(ROOT, `build/bench/${script}.js`),
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Switching guests in a real GNOME Shell with two monitors: bench/switch-in-shell.ts. */
const benchSwitch = (): void => besideShell('switch-in-shell', 2);

/** Live figures with the menu open and closed in a real GNOME Shell: bench/stats-in-shell.ts. */
const benchStats = (): void => besideShell('stats-in-shell', 1);

/**
 * CreateGuest until the guest is defined (the reply comes once the service lists it), beside
 * what virt-install takes for the same OS on the same host: `virt-install --print-xml 1` (which
 * also creates the disk) then `virsh define`, timed inside libvirtd's namespace.
 */
async function benchCreate(runs: number): Promise<void> {
  console.log(
    `\n== CreateGuest -> guest defined vs virt-install --print-xml + virsh define (real libvirtd, Windows 11 from an ISO, ${runs} runs)`,
  );
  const iso = installerIso('win11-shaped', WINDOWS_11_LABEL);
  const stack = await ServiceStack.start({
    realLibvirtd: true,
    uri: 'qemu:///session',
    serviceArgs: ['--virt-type', 'qemu'],
  });
  try {
    const create = (name: string): Promise<unknown[]> =>
      stack.client.service(MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', [name, WIN11, iso, {}], 60_000);
    // Not counted: the first call reads libosinfo's database and creates the default pool.
    await create('bench-warm-up');
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      await create(`bench-create-${i}`);
      samples.push(hrMs(start));
    }
    const ours = summarize(samples);
    const script = `for i in $(seq ${runs}); do s=$(date +%s%N);
      virt-install --connect qemu:///system --print-xml 1 --name vi-$i --osinfo win11 --memory 4096 --vcpus 2 \
        --cdrom '${iso}' --disk path=/var/lib/libvirt/images/vi-$i.raw,size=64,format=raw,sparse=yes \
        --virt-type qemu --noautoconsole > /run/libvirt/vi-$i.xml 2>/dev/null &&
      virsh -c qemu:///system define /run/libvirt/vi-$i.xml >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); done`;
    const out = execFileSync(
      'nsenter',
      ['--mount', '--target', String(stack.libvirtdNamespacePid), 'sh', '-c', script],
      { encoding: 'utf8' },
    );
    const theirs = summarize(
      out
        .trim()
        .split('\n')
        .map((us) => Number(us) / 1000),
    );
    console.log(`  CreateGuest (volume + domain, defined)     ${fmt(ours)}`);
    console.log(`  virt-install --print-xml 1 + virsh define  ${fmt(theirs)}`);
  } finally {
    await stack.stop();
  }
}

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'list') await benchList();
if (which === 'all' || which === 'events') await benchEvents();
if (which === 'all' || which === 'usb') await benchUsb(Number(process.env.REPLUGS ?? 30));
if (which === 'all' || which === 'switch') benchSwitch();
if (which === 'all' || which === 'create') await benchCreate(Number(process.env.CREATES ?? 10));
if (which === 'all' || which === 'stats') benchStats();
if (which === 'all' || which === 'idle')
  await benchIdle(Number(process.env.IDLE_SECONDS ?? 60), Number(process.env.CALLS ?? 100_000));
