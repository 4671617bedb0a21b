// A D-Bus caller running as another user (started through setpriv by
// uid-caller.ts): it reads one JSON request per line on stdin and answers
// one per line on stdout. Plain JavaScript, so that it runs without the
// test's TypeScript loader.
//   call:   { id, op: 'call', destination, path, iface, member, signature, body, flags }
//           (a variant in the body as { $variant: [signature, value] })
//   socket: { id, op: 'socket', path, hex }  connects, sends the bytes, answers what comes back first

import { Buffer } from 'node:buffer';
import { createConnection } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import { createInterface } from 'node:readline';
import { Message, sessionBus, Variant } from '@jellybrick/dbus-next';

const bus = sessionBus({ busAddress: process.argv[2] });
const plain = (value) => {
  if (value instanceof Variant) return plain(value.value);
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
};
// A variant crosses the JSON as { $variant: [signature, value] }.
const revive = (value) => {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === 'object') {
    if (Array.isArray(value.$variant)) return new Variant(value.$variant[0], revive(value.$variant[1]));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
};
const answer = (reply) => process.stdout.write(`${JSON.stringify(reply)}\n`);

async function call(request) {
  const message = new Message({
    destination: request.destination,
    path: request.path,
    interface: request.iface,
    member: request.member,
    signature: request.signature ?? '',
    body: revive(request.body ?? []),
    flags: request.flags ?? 0,
  });
  try {
    const reply = await bus.call(message);
    return { ok: true, body: plain(reply.body) };
  } catch (error) {
    return { ok: false, error: error.type ?? error.code ?? String(error), message: error.text ?? error.message };
  }
}

function socket(request) {
  return new Promise((resolve) => {
    const received = [];
    const connection = createConnection(request.path);
    const timer = setTimeout(() => finish(), 3000);
    const finish = (error) => {
      clearTimeout(timer);
      connection.destroy();
      resolve(
        error
          ? { ok: false, error: error.code ?? String(error) }
          : { ok: true, hex: Buffer.concat(received).toString('hex') },
      );
    };
    connection.on('connect', () => connection.write(Buffer.from(request.hex, 'hex')));
    connection.on('data', (data) => {
      received.push(data);
      if (Buffer.concat(received).length >= 20) finish();
    });
    connection.on('error', finish);
  });
}

bus.on('connect', () => answer({ id: 0, ok: true, body: [process.getuid(), process.pid] }));
bus.on('error', (error) => answer({ id: 0, ok: false, error: String(error) }));
createInterface({ input: process.stdin }).on('line', async (line) => {
  const request = JSON.parse(line);
  const reply = request.op === 'socket' ? await socket(request) : await call(request);
  answer({ id: request.id, ...reply });
});
process.stdin.on('end', () => process.exit(0));
