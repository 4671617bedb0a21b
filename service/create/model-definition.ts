// A definition from Phyllome's model: a plan (plan.ts) filled into its OS
// family's template (template.ts), its disks at the files given, our
// settings in its metadata. The one way a definition is made from the
// model, for a new guest (CreateGuest) and for one made again here (Import).
// Pure.

import { switcherMetadataXml } from '../libvirt/switcher-metadata.js';
import type { GuestPlan } from './plan.js';
import { fillTemplate, type TemplateItem } from './template.js';

/** The definition; `diskPaths` gives each planned disk's file, by its device (vda, sda…). */
export function modelDefinition(template: string, plan: GuestPlan, diskPaths: ReadonlyMap<string, string>): string {
  const disks: TemplateItem[] = plan.disks.map((disk) => {
    const path = diskPaths.get(disk.dev);
    if (path === undefined) throw new Error(`no file for disk ${disk.dev}`);
    return {
      values: { disk_dev: disk.dev, disk_bus: disk.bus, disk_format: disk.format, disk_path: path },
      flags: {},
    };
  });
  const media: TemplateItem[] = plan.media.map((medium) => ({
    values: { media_dev: medium.dev, media_bus: medium.bus, ...(medium.path ? { media_path: medium.path } : {}) },
    flags: { media_inserted: medium.path !== undefined },
  }));
  const interfaces: TemplateItem[] = plan.interfaces.map((card) => ({
    values: { net_model: card.model, ...(card.mac ? { net_mac: card.mac } : {}) },
    flags: { net_mac: card.mac !== undefined },
  }));
  const xml = fillTemplate(template, plan.values, plan.flags, { disks, media, interfaces });
  const ours = plan.settings ? switcherMetadataXml(plan.settings) : '';
  if (!ours) return xml;
  // The template's one </metadata> (values are escaped: none of theirs can close it).
  const at = xml.indexOf('</metadata>');
  if (at < 0 || xml.indexOf('</metadata>', at + 1) >= 0) throw new Error('the template has no single <metadata>');
  return `${xml.slice(0, at)}  ${ours}\n  ${xml.slice(at)}`;
}
