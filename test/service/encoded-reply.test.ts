// Ready-made reply bodies, decoded by an independent client over a real bus.

import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBus, whenConnected, type MessageBus } from '../../service/dbus/bus.js';
import { encodeStringArray } from '../../service/dbus/encoded-reply.js';
import { ObjectExporter } from '../../service/bus/exporter.js';
import { parseInterfaceXml } from '../../service/contract/interface-xml.js';
import { startPrivateBus, type PrivateBus } from '../support/private-bus.js';
import { ProcessGroup } from '../support/processes.js';
import { TestClient } from '../support/dbus-client.js';

const contract = parseInterfaceXml(`<node><interface name="t.Lists">
  <method name="Paths"><arg type="ao" direction="out"/></method>
  <method name="Strings"><arg type="as" direction="out"/></method>
</interface></node>`);

const group = new ProcessGroup();
let bus: PrivateBus;
let server: MessageBus;
let client: TestClient;
let current: { paths: string[]; strings: string[] } = { paths: [], strings: [] };

beforeAll(async () => {
  bus = await startPrivateBus(group);
  server = openBus(bus.address);
  await whenConnected(server, 5_000);
  const exporter = new ObjectExporter(server, contract, '/t');
  exporter.export('/t', [
    {
      interfaceName: 't.Lists',
      getProperty: () => undefined,
      call: (method) =>
        method === 'Paths' ? encodeStringArray('ao', current.paths) : encodeStringArray('as', current.strings),
    },
  ]);
  exporter.start();
  client = await TestClient.connect(bus.address);
});

afterAll(async () => {
  client?.disconnect();
  server?.disconnect();
  await group.stopAll();
  bus?.dispose();
});

it('decodes to exactly the lists encoded, whatever their lengths and characters', async () => {
  const path = fc
    .array(fc.stringMatching(/^[A-Za-z0-9_]{1,9}$/), { minLength: 1, maxLength: 4 })
    .map((parts) => `/${parts.join('/')}`);
  await fc.assert(
    fc.asyncProperty(
      fc.array(path, { maxLength: 40 }),
      fc.array(
        fc.string({ maxLength: 30 }).filter((s) => !s.includes('\0')),
        { maxLength: 40 },
      ),
      async (paths, strings) => {
        current = { paths, strings };
        const [gotPaths] = await client.call(server.name as string, '/t', 't.Lists', 'Paths');
        const [gotStrings] = await client.call(server.name as string, '/t', 't.Lists', 'Strings');
        expect(gotPaths).toEqual(paths);
        expect(gotStrings).toEqual(strings);
      },
    ),
    { numRuns: 200 },
  );
});
