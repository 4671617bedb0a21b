// Ready-made reply bodies, decoded by an independent client over a real bus.

import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBus, whenConnected, type MessageBus } from '../../service/dbus/bus.js';
import { encodeStringArray } from '../../service/dbus/encoded-reply.js';
import { ObjectExporter, type InterfaceImpl } from '../../service/api/exporter.js';
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
  // An interface of this test's own contract, not of ours: typed loosely on purpose.
  const lists = {
    interfaceName: 't.Lists',
    properties: () => ({}),
    methods: {
      Paths: () => encodeStringArray('ao', current.paths),
      Strings: () => encodeStringArray('as', current.strings),
    },
  };
  exporter.export('/t', [lists as unknown as InterfaceImpl]);
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

it("hands out every object's properties in GetManagedObjects exactly, as dbus-next decodes them", async () => {
  const props = parseInterfaceXml(`<node><interface name="t.Props">
    <property name="S" type="s" access="read"/><property name="B" type="b" access="read"/>
    <property name="U" type="u" access="read"/><property name="T" type="t" access="read"/>
    <property name="D" type="d" access="read"/><property name="AS" type="as" access="read"/>
    <property name="Rules" type="aa{ss}" access="read"/><property name="Pairs" type="a(ss)" access="read"/>
    <property name="O" type="o" access="read"/><property name="AO" type="ao" access="read"/>
  </interface></node>`);
  // An exporter is the one face of its connection (every path outside its tree is UnknownObject): its own here.
  const own = openBus(bus.address);
  await whenConnected(own, 5_000);
  const exporter = new ObjectExporter(own, props, '/m');
  exporter.start();
  const text = fc.string({ maxLength: 12 }).filter((s) => !s.includes('\0'));
  const objectPath = fc.stringMatching(/^\/[A-Za-z0-9_]{1,8}$/);
  const values = fc.record({
    S: text,
    B: fc.boolean(),
    U: fc.integer({ min: 0, max: 0xffffffff }),
    T: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    D: fc.double({ noNaN: true }),
    AS: fc.array(text, { maxLength: 3 }),
    // dbus-next decodes a dict into a plain object, where a key '__proto__' sets the prototype and is lost:
    // the reading side of this check cannot represent it, so it is not generated.
    Rules: fc.array(
      fc.dictionary(
        text.filter((k) => k !== '__proto__'),
        text,
        { maxKeys: 3 },
      ),
      { maxLength: 3 },
    ),
    Pairs: fc.array(fc.tuple(text, text), { maxLength: 3 }),
    O: objectPath,
    AO: fc.array(objectPath, { maxLength: 3 }),
  });
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(values, { minLength: 0, maxLength: 6 }), async (objects) => {
        const paths = objects.map((_, i) => `/m/o${i}`);
        // Each run leaves nothing behind, failing or not: the shrunk runs after a failure see only their own.
        try {
          objects.forEach((v, i) => {
            const impl = { interfaceName: 't.Props', properties: () => v, methods: {} };
            exporter.export(paths[i] as string, [impl as unknown as InterfaceImpl]);
          });
          const [managed] = (await client.call(
            own.name as string,
            '/m',
            'org.freedesktop.DBus.ObjectManager',
            'GetManagedObjects',
          )) as [Record<string, Record<string, Record<string, { value: unknown }>>>];
          const decoded = Object.fromEntries(
            Object.entries(managed).map(([path, ifaces]) => [
              path,
              Object.fromEntries(Object.entries(ifaces['t.Props'] ?? {}).map(([k, v]) => [k, v.value])),
            ]),
          );
          expect(decoded).toEqual(Object.fromEntries(objects.map((v, i) => [paths[i], v])));
        } finally {
          for (const path of paths) exporter.unexport(path);
        }
      }),
      { numRuns: 100 },
    );
  } finally {
    exporter.stop();
    own.disconnect();
  }
});
