// Property-based: bundle definitions generated with what the allowlist
// leaves out — QEMU's own arguments in every namespace spelling, host
// devices, folders, sources of every type pointing at host paths, kernels,
// serial ports to files, backing stores, confinement turned off, QEMU
// overrides, entities and CDATA, attributes pointing at files on elements
// that are read — and none of it may survive into the definition an import
// would define: either the import is refused (InvalidArgument), or what it
// defines holds only the model's elements and nothing of what was added.
// And a valid bundle, with harmless noise of the old host or its prefixes
// renamed, imports identically.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { profileOf } from '../../service/create/guest-model.js';
import { OsinfoDb } from '../../service/create/osinfo.js';
import { readTemplate, TEMPLATE_FAMILIES } from '../../service/create/template.js';
import { SwitcherError } from '../../service/errors.js';
import { LIBOSINFO_NS } from '../../service/libvirt/domain-xml.js';
import { readNamespaced, type NamespacedElement } from '../../service/xml/namespaced.js';
import { SWITCHER_NS } from '../../service/libvirt/switcher-metadata.js';
import { importDefinition, type ImportModel } from '../../service/bundle/guest-definition.js';
import { FULL_HOST, WIN11_IMAGES, WIN11_UUID, WIN11_VIRT_MANAGER } from '../support/bundle-definitions.js';

const MARK = '/srv/phyllome-hostile';
const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';
const NVRAM = `/var/lib/libvirt/qemu/nvram/${WIN11_UUID}_VARS.fd`;

let model: ImportModel;
/** Every element name the model's templates can write: nothing else may come out of an import. */
let modelElements: Set<string>;

beforeAll(async () => {
  const db = await OsinfoDb.load();
  const { profile } = profileOf(db, 'http://microsoft.com/win/11');
  model = {
    os: profile,
    host: FULL_HOST,
    placement: { userNetworking: false, network: 'default' },
    template: readTemplate(profile.template),
    images: WIN11_IMAGES,
  };
  modelElements = new Set(
    TEMPLATE_FAMILIES.flatMap((family) =>
      [...readTemplate(family).matchAll(/<([a-z][A-Za-z_-]*)[\s/>]/g)].map((m) => m[1] as string),
    ),
  );
});

const imports = (xml: string): string =>
  importDefinition(xml, { diskPaths: new Map([['sda', '/pool/6f8bef35-sda.qcow2']]), nvramPath: NVRAM, model });

/** What in a definition did not come from the model: foreign elements, and the marker anywhere but free text. */
function foreignIn(element: NamespacedElement, inMetadata = false): string[] {
  const found: string[] = [];
  const ours = inMetadata && (element.ns === SWITCHER_NS || element.ns === LIBOSINFO_NS);
  if (!ours && (element.ns !== '' || !modelElements.has(element.name))) found.push(`<${element.name}> ${element.ns}`);
  for (const attribute of element.attributes) {
    if (attribute.ns !== '' || attribute.value.includes(MARK)) found.push(`@${attribute.name}=${attribute.value}`);
  }
  if (element.text.includes(MARK) && element.name !== 'title' && element.name !== 'description') {
    found.push(`text of <${element.name}>`);
  }
  for (const child of element.children) found.push(...foreignIn(child, inMetadata || element.name === 'metadata'));
  return found;
}

/** The import refuses it, naming what, or defines only what the model writes. */
function nothingSurvives(xml: string): 'refused' | 'defined' {
  let out: string;
  try {
    out = imports(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(SwitcherError);
    expect((error as SwitcherError).kind).toBe('InvalidArgument');
    return 'refused';
  }
  expect(foreignIn(readNamespaced(out, 'the output'))).toEqual([]);
  expect(out).not.toContain(MARK);
  return 'defined';
}

// What a bundle's author may add, and where.
const prefix = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/).filter((p) => !p.startsWith('xml'));
const foreignNs = fc.constantFrom(
  QEMU_NS,
  'http://libvirt.org/schemas/domain/lxc/1.0',
  'http://libvirt.org/schemas/domain/bhyve/1.0',
  'http://libvirt.org/schemas/domain/xen/1.0',
  'http://libvirt.org/schemas/domain/vmware/1.0',
  'urn:phyllome:anything',
);
const qemuContent = (p: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    `<${p}commandline><${p}arg value='-chardev'/><${p}arg value='file,id=x,path=${MARK}'/><${p}env name='X' value='${MARK}'/></${p}commandline>`,
    `<${p}capabilities><${p}add capability='${MARK}'/><${p}del capability='usb'/></${p}capabilities>`,
    `<${p}override><${p}device alias='ua-x'><${p}frontend><${p}property name='x' type='string' value='${MARK}'/></${p}frontend></${p}device></${p}override>`,
    `<${p}deprecation behavior='crash'/>`,
  );
/** QEMU's namespace spelled every way: a prefix declared here, one declared on <domain>, the default namespace. */
const foreignElement: fc.Arbitrary<{ fragment: string; rootDeclaration: string }> = fc.oneof(
  fc.tuple(prefix, foreignNs).chain(([p, ns]) =>
    qemuContent(`${p}:`).map((c) => ({
      fragment: c.replace(/^<([^ >/]+)/, `<$1 xmlns:${p}='${ns}'`),
      rootDeclaration: '',
    })),
  ),
  fc
    .tuple(prefix, foreignNs)
    .chain(([p, ns]) => qemuContent(`${p}:`).map((c) => ({ fragment: c, rootDeclaration: ` xmlns:${p}='${ns}'` }))),
  foreignNs.chain((ns) =>
    qemuContent('').map((c) => ({ fragment: c.replace(/^<([^ >/]+)/, `<$1 xmlns='${ns}'`), rootDeclaration: '' })),
  ),
);

const sourceTypes = fc.constantFrom('file', 'block', 'dir', 'network', 'volume', 'nvme', 'vhostuser');
const devices = fc.oneof(
  fc
    .constantFrom('usb', 'pci', 'scsi', 'mdev', 'scsi_host')
    .map(
      (t) =>
        `<hostdev mode='subsystem' type='${t}'><source><address bus='1' device='2'/></source><rom file='${MARK}'/></hostdev>`,
    ),
  fc
    .constantFrom('mount', 'file', 'block', 'bind', 'ram')
    .map(
      (t) =>
        `<filesystem type='${t}' accessmode='passthrough'><source dir='${MARK}' file='${MARK}'/><target dir='x'/></filesystem>`,
    ),
  fc
    .tuple(sourceTypes, fc.constantFrom('disk', 'cdrom', 'floppy', 'lun'), fc.constantFrom('vdq', 'sdq', 'hdq'))
    .map(
      ([type, device, dev]) =>
        `<disk type='${type}' device='${device}'><driver name='qemu' type='raw'/><source file='${MARK}' dev='${MARK}' dir='${MARK}'/><target dev='${dev}' bus='${dev.startsWith('v') ? 'virtio' : 'sata'}'/></disk>`,
    ),
  fc
    .tuple(
      fc.constantFrom(
        'ethernet',
        'direct',
        'vhostuser',
        'server',
        'client',
        'mcast',
        'udp',
        'bridge',
        'network',
        'user',
        'hostdev',
        'vdpa',
      ),
      fc.subarray([
        `<source dev='${MARK}' path='${MARK}' bridge='br0'/>`,
        `<script path='${MARK}'/>`,
        `<backend tap='${MARK}'/>`,
        `<rom file='${MARK}'/>`,
        `<filterref filter='${MARK}'/>`,
      ]),
    )
    .map(
      ([type, children]) =>
        `<interface type='${type}'><mac address='52:54:00:00:00:07'/>${children.join('')}<model type='virtio'/></interface>`,
    ),
  fc
    .tuple(
      fc.constantFrom('serial', 'console', 'parallel', 'channel'),
      fc.constantFrom('file', 'dev', 'pipe', 'unix', 'tcp', 'pty', 'udp', 'null', 'vc', 'stdio', 'spicevmc', 'nmdm'),
      fc.boolean(),
    )
    .map(
      ([tag, type, log]) =>
        `<${tag} type='${type}'><source path='${MARK}' mode='bind'/>${log ? `<log file='${MARK}'/>` : ''}<target type='virtio' name='org.qemu.guest_agent.0'/></${tag}>`,
    ),
  fc.constantFrom(
    `<input type='evdev'><source dev='${MARK}'/></input>`,
    `<input type='passthrough' bus='virtio'><source evdev='${MARK}'/></input>`,
    `<tpm model='tpm-tis'><backend type='passthrough'><device path='${MARK}'/></backend></tpm>`,
    `<rng model='virtio'><backend model='random'>${MARK}</backend></rng>`,
    `<rng model='virtio'><backend model='egd' type='unix'><source mode='connect' path='${MARK}'/></backend></rng>`,
    `<smartcard mode='passthrough' type='unix'><source path='${MARK}'/></smartcard>`,
    `<redirdev bus='usb' type='tcp'><source mode='connect' host='${MARK}' service='4000'/></redirdev>`,
    `<shmem name='x'><server path='${MARK}'/></shmem>`,
    `<memory model='nvdimm'><source><path>${MARK}</path></source></memory>`,
    `<audio id='2' type='file' path='${MARK}'/>`,
    `<graphics type='sdl' display=':0' xauth='${MARK}'/>`,
    `<graphics type='vnc' socket='${MARK}'/>`,
    `<graphics type='spice'><gl enable='yes' rendernode='${MARK}'/></graphics>`,
    `<video><model type='virtio'/><driver name='vhostuser'/><source type='unix' path='${MARK}'/></video>`,
    `<vsock model='virtio'><cid auto='yes'/></vsock>`,
    `<panic model='isa'/>`,
    `<watchdog model='i6300esb' action='dump'/>`,
    `<lease><lockspace>x</lockspace><key>y</key><target path='${MARK}'/></lease>`,
    `<emulator>${MARK}</emulator>`,
    `<controller type='usb' model='${MARK}'/>`,
  ),
);
const osAdditions = fc.constantFrom(
  `<kernel>${MARK}</kernel>`,
  `<initrd>${MARK}</initrd>`,
  `<dtb>${MARK}</dtb>`,
  `<cmdline>root=${MARK}</cmdline>`,
  `<acpi><table type='slic'>${MARK}</table></acpi>`,
  `<init>${MARK}</init>`,
  `<bios useserial='yes'/>`,
);
const topAdditions = fc.constantFrom(
  `<seclabel type='none'/>`,
  `<seclabel type='static' model='selinux' relabel='no'><label>${MARK}</label></seclabel>`,
  `<seclabel type='dynamic' model='dac' relabel='yes'><imagelabel>${MARK}</imagelabel></seclabel>`,
  `<sysinfo type='fwcfg'><entry name='opt/x' file='${MARK}'/></sysinfo>`,
  `<sysinfo type='smbios'><system><entry name='serial'>${MARK}</entry></system></sysinfo>`,
  `<launchSecurity type='sev'><dhCert>${MARK}</dhCert></launchSecurity>`,
  `<bootloader>${MARK}</bootloader>`,
  `<memoryBacking><source type='file'/><hugepages/></memoryBacking>`,
  `<blkiotune><device><path>${MARK}</path><weight>500</weight></device></blkiotune>`,
  `<teleporter target='${MARK}'/>`,
);
const diskAdditions = fc.constantFrom(
  `<backingStore type='file'><format type='qcow2'/><source file='${MARK}'/></backingStore>`,
  `<backingStore type='block'><source dev='${MARK}'/></backingStore>`,
  `<encryption format='luks'><secret type='passphrase' uuid='${WIN11_UUID}'/></encryption>`,
  `<shareable/>`,
  `<mirror type='file' file='${MARK}'/>`,
  `<source file='${MARK}'><seclabel model='dac' relabel='no'/></source>`,
  `<serial>${MARK}</serial>`,
  `<iotune><total_bytes_sec>1</total_bytes_sec></iotune>`,
);
/** Attributes naming files, on elements that are read. */
const attributeHosts = fc.constantFrom(
  "<target dev='sda' bus='sata'",
  "<mac address='52:54:00:AA:BB:CC'",
  "<memory unit='KiB'",
  "<os firmware='efi'",
  "<tpm model='tpm-crb'",
  "<domain type='kvm'",
  "<model type='e1000e'",
  "<sound model='ich9'",
  '<name',
  "<phyllome:seat id='seat1'",
  "<libosinfo:os id='http://microsoft.com/win/11'",
);
const attribute = fc.tuple(
  fc.constantFrom('path', 'file', 'socket', 'dir', 'dev', 'script', 'href', 'q:path'),
  attributeHosts,
);

type Insert = (xml: string) => string;
/** A change to a definition that prints as what it does when fast-check shows a counterexample. */
const named = (what: string, apply: Insert): Insert =>
  Object.assign((xml: string) => apply(xml), { [fc.toStringMethod]: () => what });
const inject = (anchor: string, fragment: string): Insert =>
  named(`${fragment} before ${anchor}`, (xml) => xml.replace(anchor, `${fragment}${anchor}`));

const hostile: fc.Arbitrary<Insert> = fc.oneof(
  fc
    .tuple(
      foreignElement,
      fc.constantFrom('</domain>', '</devices>', '</os>', '</features>', '</metadata>', '</interface>', '</tpm>'),
    )
    .map(([{ fragment, rootDeclaration }, anchor]) =>
      named(`${fragment} before ${anchor}${rootDeclaration ? `, <domain${rootDeclaration}>` : ''}`, (xml) =>
        inject(anchor, fragment)(xml).replace("<domain type='kvm'", `<domain type='kvm'${rootDeclaration}`),
      ),
    ),
  devices.map((fragment) => inject('</devices>', fragment)),
  osAdditions.map((fragment) => inject('</os>', fragment)),
  topAdditions.map((fragment) => inject('</domain>', fragment)),
  diskAdditions.map((fragment) => inject("<target dev='sda' bus='sata'/>", fragment)),
  attribute.map(([name, host]) => {
    const added = `${name}='${MARK}'${name.startsWith('q:') ? ` xmlns:q='${QEMU_NS}'` : ''}`;
    return named(`${added} on ${host}`, (xml) => xml.replace(host, `${host} ${added}`));
  }),
  // Entities of its own, CDATA, character references and processing instructions.
  fc.constantFrom(
    named(
      'an entity of its own in the title',
      (xml) =>
        `<!DOCTYPE domain [<!ENTITY x "${MARK}">]>${xml.replace('<title>Work PC</title>', '<title>&x;</title>')}`,
    ),
    named('a path as CDATA for a name', (xml) => xml.replace('<name>win11</name>', `<name><![CDATA[${MARK}]]></name>`)),
    named('markup as CDATA in a name', (xml) =>
      xml.replace('<name>win11</name>', `<name>win<![CDATA[11<qemu:commandline/>]]></name>`),
    ),
    named('QEMU arguments as CDATA in the description', (xml) =>
      xml.replace(
        'second line',
        `<![CDATA[<qemu:commandline xmlns:qemu='${QEMU_NS}'><qemu:arg value='x'/></qemu:commandline>]]>`,
      ),
    ),
    named('a kernel spelled with character references', (xml) =>
      xml.replace("<boot dev='hd'/>", `<boot dev='hd'/><kernel>&#x2F;srv&#x2F;phyllome-hostile</kernel>`),
    ),
    named('a processing instruction', (xml) => xml.replace('</devices>', `<?qemu-arg -chardev?></devices>`)),
    named('a line break and a path in a MAC address', (xml) =>
      xml.replace("<mac address='52:54:00:AA:BB:CC'/>", `<mac address='52:54:00:AA:BB:CC&#10;${MARK}'/>`),
    ),
    named('a path after the OS id', (xml) =>
      xml.replace('http://microsoft.com/win/11', `http://microsoft.com/win/11${MARK}&amp;`),
    ),
  ),
);

describe('a bundle definition with what the allowlist leaves out', () => {
  it('issue 18’s example, the QEMU namespace as the default namespace, is refused naming it', () => {
    const xml = WIN11_VIRT_MANAGER.replace(
      '</domain>',
      `<commandline xmlns="${QEMU_NS}"><arg value="-chardev"/><arg value="file,id=x,path=/tmp/qemu-wrote-this"/></commandline></domain>`,
    );
    expect(() => imports(xml)).toThrow(/<commandline> \(settings for QEMU or another program/);
  });

  it('never lets any of it into the definition the import would define', () => {
    const seen = { refused: 0, defined: 0 };
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 3 }), (inserts) => {
        const xml = inserts.reduce((text, insert) => insert(text), WIN11_VIRT_MANAGER);
        seen[nothingSurvives(xml)]++;
      }),
      { numRuns: 400 },
    );
    // Both kinds of answer were met: the property is not vacuous.
    expect(seen.refused).toBeGreaterThan(100);
    expect(seen.defined).toBeGreaterThan(0);
  });
});

describe('a valid bundle', () => {
  // The old host's harmless noise: what libvirt adds, other programs' notes, comments, spacing, quoting.
  const noise: fc.Arbitrary<Insert> = fc.oneof(
    fc.constantFrom(
      inject(
        '</devices>',
        "<controller type='pci' index='9' model='pcie-root-port'><target chassis='9'/></controller>",
      ),
      inject('</devices>', "<memballoon model='virtio'><stats period='5'/></memballoon>"),
      inject('</devices>', "<input type='keyboard' bus='virtio'><alias name='ua-kbd'/></input>"),
      inject(
        '</devices>',
        "<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
      ),
      inject('</domain>', '<on_lockfailure>poweroff</on_lockfailure>'),
      inject('</domain>', "<cputune><vcpupin vcpu='0' cpuset='2'/></cputune>"),
      inject('</features>', "<kvm><hidden state='on'/></kvm><ioapic driver='kvm'/>"),
      inject('</clock>', "<timer name='tsc' present='yes' mode='native'/>"),
      inject(
        '</metadata>',
        "<cockpit:machine xmlns:cockpit='https://cockpit-project.org/'><cockpit:note>hi</cockpit:note></cockpit:machine>",
      ),
      inject('</devices>', '<!-- a comment -->'),
      named('double quotes', (xml) => xml.replace(/'/g, '"')),
      named('no spacing', (xml) => xml.replace(/>\s+</g, '><')),
      named('an XML declaration', (xml) =>
        xml.startsWith('<?xml') ? xml : `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`,
      ),
    ),
    // Our namespace and libosinfo's under prefixes of any name: what counts is their URI.
    prefix.map((p) =>
      named(`our prefix as ${p}`, (xml) =>
        xml.replaceAll('phyllome:', `${p}:`).replace('xmlns:phyllome=', `xmlns:${p}=`),
      ),
    ),
    prefix.map((p) =>
      named(`libosinfo's prefix as ${p}`, (xml) =>
        xml.replaceAll('libosinfo:', `${p}:`).replace('xmlns:libosinfo=', `xmlns:${p}=`),
      ),
    ),
  );

  it('imports identically, whatever harmless noise of the old host comes with it', () => {
    const baseline = imports(WIN11_VIRT_MANAGER);
    fc.assert(
      fc.property(fc.array(noise, { minLength: 1, maxLength: 4 }), (inserts) => {
        const xml = inserts.reduce((text, insert) => insert(text), WIN11_VIRT_MANAGER);
        expect(imports(xml)).toBe(baseline);
      }),
      { numRuns: 200 },
    );
  });
});
