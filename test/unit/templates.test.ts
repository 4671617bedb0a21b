// Phyllome's model as templates (service/create/template.ts): each filled
// with every flag on, off and each one flipped is valid for
// virt-xml-validate; values are escaped and list items repeated. Apart from
// create-plan.test.ts so that npm run mutation, which mutates the plan and
// not the templates, does not run some 190 validations for each mutant.

import { describe, expect, it } from 'vitest';
import { HYPERV_FEATURES } from '../../service/create/plan.js';
import { fillTemplate, readTemplate, TEMPLATE_FAMILIES, type TemplateLists } from '../../service/create/template.js';
import { domainXmlProblems } from '../support/validate-xml.js';

const REQUEST = { name: 'guest', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f' };
const validate = domainXmlProblems;

describe('the templates', () => {
  const FLAGS = [
    'kvm',
    'tpm',
    'secure_boot',
    'efi',
    'spice',
    'gl',
    'virtio',
    'drivers',
    'net_user',
    'hyperv',
    'hv_clock',
    ...HYPERV_FEATURES.map((f) => `hv_${f}`),
    'display',
    'osinfo',
    'title',
    'description',
    'genid',
    'nvram',
    'sound',
    'scsi',
  ];
  const values = {
    name: REQUEST.name,
    uuid: REQUEST.uuid,
    genid: 'e7c5a4b0-1111-2222-3333-444455556666',
    title: 'A title',
    os_id: 'http://microsoft.com/win/11',
    description: "A guest's <description> & more",
    domain_type: 'kvm',
    memory_mib: 4096,
    vcpus: 4,
    secure_boot: 'yes',
    nvram_path: `/var/lib/libvirt/qemu/nvram/${REQUEST.uuid}_VARS.fd`,
    clock_offset: 'localtime',
    network: 'default',
    video_model: 'virtio',
    sound_model: 'ich9',
    tpm_model: 'tpm-crb',
  };
  // Two disks, a CD with its installer and an empty one, a card with its MAC and one without.
  const lists: TemplateLists = {
    disks: [
      { values: { disk_dev: 'vda', disk_bus: 'virtio', disk_format: 'raw', disk_path: '/images/a.raw' }, flags: {} },
      { values: { disk_dev: 'sda', disk_bus: 'scsi', disk_format: 'qcow2', disk_path: '/images/b.qcow2' }, flags: {} },
    ],
    media: [
      {
        values: { media_dev: 'sdb', media_bus: 'sata', media_path: '/isos/installer.iso' },
        flags: { media_inserted: true },
      },
      { values: { media_dev: 'sdc', media_bus: 'sata' }, flags: { media_inserted: false } },
    ],
    interfaces: [
      { values: { net_model: 'virtio', net_mac: '52:54:00:12:34:56' }, flags: { net_mac: true } },
      { values: { net_model: 'e1000e' }, flags: { net_mac: false } },
    ],
  };

  for (const family of TEMPLATE_FAMILIES) {
    it(`${family}.xml is valid with every flag on, off, and each one flipped`, () => {
      const template = readTemplate(family);
      const all = (on: boolean): Record<string, boolean> => Object.fromEntries(FLAGS.map((f) => [f, on]));
      const cases = [
        all(true),
        all(false),
        ...FLAGS.flatMap((f) => [
          { ...all(true), [f]: false },
          { ...all(false), [f]: true },
        ]),
      ];
      for (const flags of cases) {
        const xml = fillTemplate(template, { ...values, secure_boot: flags.secure_boot ? 'yes' : 'no' }, flags, lists);
        expect([JSON.stringify(flags), validate(xml)]).toEqual([JSON.stringify(flags), '']);
        expect(xml).not.toMatch(/\{\{|<!-- (if|end) /);
      }
    });
  }

  it('escapes values and says which value or flag is missing', () => {
    const template = readTemplate('linux');
    const flags = Object.fromEntries(FLAGS.map((f) => [f, false]));
    expect(fillTemplate(template, values, { ...flags, description: true }, lists)).toContain(
      'A guest&apos;s &lt;description&gt; &amp; more',
    );
    expect(() => fillTemplate(template, { ...values, name: undefined as unknown as string }, flags, lists)).toThrow(
      /'name'/,
    );
    expect(() => fillTemplate(template, values, { ...flags, tpm: undefined as unknown as boolean }, lists)).toThrow(
      /'tpm'/,
    );
    expect(() => fillTemplate(template, values, flags, { ...lists, disks: undefined as never })).toThrow(/'disks'/);
    // A value is filled in once: a placeholder in one stays text.
    expect(fillTemplate(template, { ...values, title: '{{uuid}}' }, { ...flags, title: true }, lists)).toContain(
      '<title>&#123;&#123;uuid}}</title>',
    );
  });

  it('repeats each list item with its own values and flags', () => {
    const flags = Object.fromEntries(FLAGS.map((f) => [f, false]));
    const xml = fillTemplate(readTemplate('linux'), values, flags, lists);
    expect(xml.match(/<disk type='file' device='disk'>/g)).toHaveLength(2);
    expect(xml).toContain("<source file='/images/b.qcow2'/>");
    expect(xml).toContain("<target dev='sdc' bus='sata'/>");
    expect(xml.match(/<source file='\/isos\/installer.iso'\/>/g)).toHaveLength(1);
    expect(xml.match(/<interface type='network'>/g)).toHaveLength(2);
    expect(xml.match(/<mac address=/g)).toHaveLength(1);
  });
});
