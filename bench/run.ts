// npm run bench [-- list|events|usb|switch|shell-load|create|export|seats|flood|stats|idle] [--smoke]: the service's
// figures beside the alternatives. Prints; asserts nothing. See README for the targets, and bench/mode.ts for
// --smoke (every benchmark once at tiny sizes: npm test runs it).

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ServiceStack, ROOT } from '../test/support/stack.js';
import { libvirtCall, libvirtDomainPath, tinyQemuGuestXml } from '../test/support/libvirt.js';
import { createVolume, defineDefaultPool, inSandbox, jobEnd, QEMU } from '../test/support/guest-files.js';
import { LogindMock } from '../test/support/logind-mock.js';
import { UsbLab } from '../test/support/usb-lab.js';
import { installerIso, WINDOWS_11_LABEL } from '../test/support/installer-iso.js';
import { startServiceInLab } from '../test/support/usb-service.js';
import { RawClient, type RawArg } from './raw-client.js';
import { hrMs, ms, summarize, type Summary } from './stats.js';
import { procStat, timerCount } from './proc.js';
import { measured, settle, sized, SMOKE } from './mode.js';
import { benchFlood } from './flood.js';

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
  for (let i = 0; i < Math.min(200, settle(count)); i++) await client.call(dest, path, iface, member, args); // warm-up
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
    for (const n of SMOKE ? [2] : [10, 100, 1000]) {
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
      const ours = await timeRaw(raw, sized('LIST_CALLS', 2000, 3), [SERVICE, MANAGER_PATH, MANAGER, 'ListGuests']);
      const libvirt = await timeRaw(raw, sized('LIST_CALLS', 500, 3), [
        'org.libvirt',
        '/org/libvirt/QEMU',
        'org.libvirt.Connect',
        'ListDomains',
        [{ u: 0 }],
      ]);
      raw.close();
      const virsh = timeVirsh(stack.libvirtdNamespacePid as number, SMOKE ? 1 : n >= 1000 ? 20 : 40);
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
    // The first 100 are a warm-up, not counted.
    const warmUp = settle(100);
    const events = sized('EVENTS', 600, 2);
    for (let i = 0; i < events; i++) {
      const from = client.signals.length;
      const member = i % 2 === 0 ? 'Suspend' : 'Resume';
      await client.call('org.libvirt', libvirtPath, 'org.libvirt.Domain', member);
      const theirs = await client.waitForSignal((s) => s.member === 'DomainEvent', 2_000, from);
      const ours = await client.waitForSignal((s) => s.member === 'PropertiesChanged' && s.path === guest, 2_000, from);
      if (i >= warmUp) latencies.push(Number(ours.at - theirs.at) / 1e6);
    }
    console.log(
      `   event -> PropertiesChanged  ${fmt(summarize(latencies))}  (n=${latencies.length}; target p99 <= 20 ms)`,
    );

    // Define -> GuestAdded, for the "within 100 ms" promise.
    const adds: number[] = [];
    for (let i = 0; i < sized('DEFINES', 50, 1); i++) {
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
  const guests = SMOKE ? 2 : 100;
  console.log(`\n== ${seconds} s idle, then ${calls} calls (test driver, ${guests} guests)`);
  const probe = resolve(ROOT, 'build/bench/timer-probe.js');
  const extra = (process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const stack = await ServiceStack.start({ nodeArgs: [...extra, '--import', probe] });
  try {
    for (let i = 0; i < guests - 1; i++) {
      await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
        `<domain type='test'><name>idle-${i}</name><memory>65536</memory><os><type>hvm</type></os></domain>`,
      ]);
    }
    await new Promise((r) => setTimeout(r, settle(2_000))); // let start-up settle
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
    await new Promise((r) => setTimeout(r, settle(1_000)));
    const busy = procStat(pid);
    // V8 gives memory back once the process has been idle a while (its memory reducer): wait for it.
    await new Promise((r) => setTimeout(r, settle(15_000)));
    const end = procStat(pid);
    console.log(
      `   ${calls} calls in ${(elapsed / 1000).toFixed(1)} s (${((calls / elapsed) * 1000).toFixed(0)}/s)\n` +
        `   RSS ${settle(1_000) / 1000} s after the calls  ${busy.rssMiB.toFixed(1)} MiB, growth ${(busy.rssMiB - after.rssMiB).toFixed(1)} MiB\n` +
        `   RSS ${settle(16_000) / 1000} s after the calls ${end.rssMiB.toFixed(1)} MiB, growth ${(end.rssMiB - after.rssMiB).toFixed(1)} MiB  (target <= 5 MB)`,
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
    measured(samples.length > 0 ? 0 : NaN, 'a replug, udev event -> AttachDevice');
    console.log(`   in the service: ${fmt(summarize(samples))}  (n=${samples.length})`);
    const refusal = /not moved: (.*)/.exec(service.output())?.[1] ?? '';
    console.log(`   libvirt's answer here (no USB bus on this machine): ${refusal}`);
    await service.stop();
  } finally {
    await lab.stop();
    await stack.stop();
  }
}

/** Runs bench scripts (build/bench/NAME.js), one after the other, beside a real GNOME Shell with the extension enabled. */
function besideShell(scripts: string[], monitors: number): void {
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
        'bash',
        '-ec',
        'for script; do "$NODE" "$script"; done',
        'bench-scripts',
        ...scripts.map((script) => resolve(ROOT, `build/bench/${script}.js`)),
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE: process.execPath } },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The benchmarks beside a real Shell, by name: switching guests with two
 * monitors (bench/switch-in-shell.ts); enable, menu and memory of the
 * extension with 1, 10 and 1000 guests (bench/load-in-shell.ts); live figures
 * with the menu open and closed (bench/stats-in-shell.ts).
 */
const IN_SHELL: Record<string, [script: string, monitors: number]> = {
  switch: ['switch-in-shell', 2],
  'shell-load': ['load-in-shell', 1],
  stats: ['stats-in-shell', 1],
};

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

/** Best and median of timed runs, in ms. */
function bestAndMedian(samples: number[]): [number, number] {
  const sorted = [...samples].sort((a, b) => a - b);
  return [sorted[0] as number, sorted[Math.floor(sorted.length / 2)] as number];
}

/**
 * Export and Import of a 1 GiB sparse disk (256 MiB of data) beside cp
 * --sparse=always of the same file between the same disks: the bundle on
 * this machine's disk, the pool on the sandbox's tmpfs. Our figures include
 * the checksums and the fsyncs; cp's are shown bare and followed by sync.
 */
async function benchExport(runs: number): Promise<void> {
  const stack = await ServiceStack.start({ realLibvirtd: true, uri: 'qemu:///session', serviceInSandbox: true });
  const work = mkdtempSync(join(tmpdir(), 'phyllome-bench-export-'));
  try {
    await stack.client.watch();
    const pool = await defineDefaultPool(stack);
    // 4 MiB of data every 16 MiB: a quarter of the disk.
    const diskBytes = SMOKE ? 64 * 1024 ** 2 : 1024 ** 3;
    const { path: disk } = await createVolume(stack, pool, 'bench.img', diskBytes);
    const source = inSandbox(stack.libvirtdNamespacePid, disk);
    const fd = openSync(source, 'r+');
    for (let at = 0; at < diskBytes; at += 16 * 1024 ** 2)
      writeSync(fd, randomBytes(4 * 1024 ** 2), 0, 4 * 1024 ** 2, at);
    closeSync(fd);
    const allocatedMB = (statSync(source).blocks * 512) / 1e6;
    console.log(
      `\n== Export and Import: a ${diskBytes / 1024 ** 2} MiB disk holding ${allocatedMB.toFixed(0)} MB of data (MB/s of data; best, median of ${runs})`,
    );
    const guestXml = tinyQemuGuestXml('bench').replace(
      '<devices>',
      `<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>`,
    );
    const define = async (): Promise<string> => {
      await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [guestXml]);
      return stack.client.waitForGuest('bench');
    };
    const undefine = async (): Promise<void> => {
      const domain = await libvirtDomainPath(stack, 'bench', QEMU);
      await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
      for (let i = 0; i < 200 && (await stack.client.guestByName('bench').catch(() => '')); i++)
        await new Promise((r) => setTimeout(r, 10));
    };
    const timeJob = async (start: () => Promise<unknown[]>): Promise<number> => {
      const began = process.hrtime.bigint();
      const [job] = await start();
      const end = await jobEnd(stack, job as string, 120_000);
      if (!end.success) throw new Error(end.message);
      return hrMs(began);
    };
    const timeCommand = (command: string): number => {
      const began = process.hrtime.bigint();
      execFileSync('sh', ['-c', command]);
      return hrMs(began);
    };
    const line = (label: string, samples: number[], reference?: number): void => {
      const [best, median] = bestAndMedian(samples);
      const ratio = reference ? `  ${(best / reference).toFixed(2)}× cp's time` : '';
      console.log(
        `  ${label.padEnd(44)} ${(allocatedMB / (best / 1000)).toFixed(0).padStart(6)} MB/s  ${(allocatedMB / (median / 1000)).toFixed(0).padStart(6)} MB/s  (${best.toFixed(0)} ms)${ratio}`,
      );
    };

    const guest = await define();
    // Imported volumes are named from the guest's UUID.
    const uuid = (await stack.client.property(guest, 'me.phyllo.Switcher1.Guest', 'Uuid')) as string;
    const exports: number[] = [];
    const cps: number[] = [];
    const cpSyncs: number[] = [];
    const copy = join(work, 'cp.img');
    for (let i = 0; i < runs; i++) {
      const directory = join(work, `export-${i}`);
      mkdirSync(directory);
      exports.push(
        await timeJob(() => stack.client.service(guest, 'me.phyllo.Switcher1.Guest', 'Export', 's', [directory])),
      );
      rmSync(copy, { force: true });
      cps.push(timeCommand(`cp --sparse=always '${source}' '${copy}'`));
      rmSync(copy, { force: true });
      cpSyncs.push(timeCommand(`cp --sparse=always '${source}' '${copy}' && sync '${copy}'`));
    }
    // What the checksum alone costs: SHA-256 over as much data, in memory, on one core.
    const data = randomBytes(SMOKE ? 4 * 1024 ** 2 : 64 * 1024 ** 2);
    const hashes: number[] = [];
    for (let i = 0; i < runs; i++) {
      const began = process.hrtime.bigint();
      const hash = createHash('sha256');
      for (let done = 0; done < allocatedMB * 1e6; done += data.length) hash.update(data);
      hash.digest();
      hashes.push(hrMs(began));
    }
    console.log("  pool (tmpfs) → bundle (this machine's disk)");
    line('Export (checksums, fsync, rename)', exports, bestAndMedian(cpSyncs)[0]);
    line('cp --sparse=always', cps);
    line('cp --sparse=always && sync', cpSyncs);
    line('(SHA-256 of as much data in memory, one core)', hashes);

    await undefine();
    const bundle = join(work, 'export-0', 'bench.phyllome');
    const imports: number[] = [];
    const cpIn: number[] = [];
    const poolCopy = inSandbox(stack.libvirtdNamespacePid, '/var/lib/libvirt/images/cp-copy.img');
    for (let i = 0; i < runs; i++) {
      imports.push(await timeJob(() => stack.client.service(MANAGER_PATH, MANAGER, 'Import', 's', [bundle])));
      await undefine();
      const [volume] = await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'StorageVolLookupByName', 's', [
        `${uuid}-vda.raw`,
      ]);
      await libvirtCall(stack, volume as string, 'org.libvirt.StorageVol', 'Delete', 'u', [0]);
      rmSync(poolCopy, { force: true });
      cpIn.push(
        timeCommand(`cp --sparse=always '${join(bundle, 'disks/vda.raw')}' '${poolCopy}' && sync '${poolCopy}'`),
      );
    }
    rmSync(poolCopy, { force: true });
    console.log("  bundle (this machine's disk) → pool (tmpfs)");
    line('Import (checksums verified, volume, define)', imports, bestAndMedian(cpIn)[0]);
    line('cp --sparse=always && sync', cpIn);
  } finally {
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * What telling the caller apart costs a call that changes something: the
 * same SetMonitor on the test driver's guest with --seats none (no check),
 * with logind (bus credentials, the session of the PID, its properties) from
 * the guest's own seat, and from another seat, where polkit (fake, deciding
 * by subject) says yes.
 */
async function benchSeats(count: number): Promise<void> {
  console.log('\n== Authorization: Guest.SetMonitor (test driver), per call, fake logind and polkit');
  const stack = await ServiceStack.start({ withService: false });
  let logind: LogindMock | undefined;
  try {
    logind = await LogindMock.start(stack.group);
    await logind.addSeat('seat0');
    await logind.addSeat('seat1');
    await logind.addSession('c0', 'seat0', 1000, 'ada');
    await logind.bindPid(process.pid, 'c0');
    const raw = await RawClient.connect(stack.bus.address);
    const setMonitor = async (guest: string): Promise<Summary> =>
      timeRaw(raw, count, [SERVICE, guest, 'me.phyllo.Switcher1.Guest', 'SetMonitor', ['']]);
    await stack.startService('test:///default', ['--seats', 'none']);
    const none = await setMonitor(await stack.client.guestByName('test'));
    console.log(`   --seats none (nothing checked)           ${fmt(none)}  (n=${count})`);
    await stack.service?.stop();
    await stack.startService('test:///default', ['--system-bus', logind.address]);
    const guest = await stack.client.guestByName('test');
    const own = await setMonitor(guest);
    console.log(`   logind, the guest of no seat (allowed)   ${fmt(own)}`);
    await logind.polkitRule('me.phyllo.switcher.manage-other-seat', process.getuid?.() ?? 0, 'yes');
    await stack.client.service('/me/phyllo/Switcher1/seat/seat1', 'me.phyllo.Switcher1.Seat', 'AssignGuest', 'o', [
      guest,
    ]);
    const other = await setMonitor(guest);
    console.log(`   logind + polkit, another seat's (yes)   ${fmt(other)}`);
  } finally {
    await logind?.stop();
    await stack.stop();
  }
}

const which = process.argv.slice(2).find((arg) => !arg.startsWith('-')) ?? 'all';
const wanted = (name: string): boolean => which === 'all' || which === name;
// The Shell benchmarks' scripts run in processes of their own: they learn of a smoke run from here.
if (SMOKE) process.env.BENCH_SMOKE = '1';
// A smoke run starts one Shell (with two monitors) for all of them; a full run one each, with its own monitors.
const inShell = Object.entries(IN_SHELL).filter(([name]) => wanted(name));
const shellRuns: [string, () => void][] = SMOKE
  ? inShell.length > 0
    ? [
        [
          inShell.map(([name]) => name).join('+'),
          () =>
            besideShell(
              inShell.map(([, [script]]) => script),
              Math.max(...inShell.map(([, [, monitors]]) => monitors)),
            ),
        ],
      ]
    : []
  : inShell.map(([name, [script, monitors]]) => [name, () => besideShell([script], monitors)]);
const runs: [string, () => Promise<void> | void][] = [
  ['list', benchList],
  ['events', benchEvents],
  ['usb', () => benchUsb(sized('REPLUGS', 30, 1))],
  ...shellRuns,
  ['create', () => benchCreate(sized('CREATES', 10, 1))],
  ['export', () => benchExport(sized('RUNS', 5, 1))],
  ['seats', () => benchSeats(sized('SEAT_CALLS', 1000, 3))],
  ['flood', () => benchFlood(SMOKE)],
  ['idle', () => benchIdle(sized('IDLE_SECONDS', 60, 1), sized('CALLS', 100_000, 100))],
];
const took: string[] = [];
const started = process.hrtime.bigint();
for (const [name, run] of runs) {
  if (!name.split('+').some(wanted)) continue;
  const began = process.hrtime.bigint();
  await run();
  took.push(`${name} ${(hrMs(began) / 1000).toFixed(0)} s`);
}
if (SMOKE)
  console.log(`\nbench smoke run: every benchmark ran, in ${(hrMs(started) / 1000).toFixed(0)} s (${took.join(', ')})`);
