// A D-Bus caller running as another user (started through setpriv by
// uid-caller.ts): it reads one JSON request per line on stdin and answers
// one per line on stdout. Plain JavaScript, so that it runs without the
// test's TypeScript loader.
//   call:   { id, op: 'call', destination, path, iface, member, signature, body, flags }
//           (a variant in the body as { $variant: [signature, value] }, or JSON's { signature, value })
//   socket: { id, op: 'socket', path, hex }  connects, sends the bytes, answers what comes back first
//   calls:  { id, op: 'calls', count, timeoutMs, destination, path, iface, member, signature, body }
//           sends `count` calls at once; answers each one's error ('ok', or 'timeout' past timeoutMs) and ms
//   tamper: { id, op: 'tamper', attempts, tag? }  tries each file-system change once (or, with a tag, over and
//           over until 'untamper' names the tag); answers per attempt how often each outcome came ('ok' or errno)
//           attempts: { op: 'unlink'|'rmdir'|'mkdir'|'create'|'read', path } | { op: 'symlink', target, path }
//                     | { op: 'rename', from, to }
//   untamper: { id, op: 'untamper', tag }
//   churn:  { id, op: 'churn', path, count, parallel, holdMs }  connects `count` times, `parallel` at a time,
//           each closed `holdMs` after it connects; answers how often each outcome came ('closed', or an errno)
//   signal: { id, op: 'signal', path, member, timeoutMs }  answers the first signal this connection got (from its
//           start: unicast ones, and those its match rules let through) at that path and of that member
//   signals: { id, op: 'signals' }  answers every signal this connection got so far
//   match:  { id, op: 'match', rule }  adds a match rule (AddMatch), so that broadcast signals it names come here
//   emit:   { id, op: 'emit', destination, path, iface, member, signature, body }  sends a signal ('' destination:
//           to all), as any client may

import { Buffer } from 'node:buffer';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';
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
// A variant crosses the JSON as { $variant: [signature, value] }, or as JSON's { signature, value }.
const revive = (value) => {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === 'object') {
    if (Array.isArray(value.$variant)) return new Variant(value.$variant[0], revive(value.$variant[1]));
    const keys = Object.keys(value).sort();
    if (keys.length === 2 && keys[0] === 'signature' && keys[1] === 'value')
      return new Variant(value.signature, revive(value.value));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
};
const answer = (reply) => process.stdout.write(`${JSON.stringify(reply)}\n`);

// Every signal this connection got, as the bus delivered it; those addressed to it alone have its name as destination.
const SIGNAL = 4;
const received = [];
const newSignal = new Set();
bus.on('message', (message) => {
  if (message.type !== SIGNAL) return;
  const { path, interface: iface, member, destination = '' } = message;
  received.push({ path, iface, member, destination, body: plain(message.body) });
  for (const wake of newSignal) wake();
});

async function signal(request) {
  const found = () => received.find((s) => s.path === request.path && s.member === request.member);
  let timer;
  const wait = new Promise((resolve) => {
    const wake = () => {
      if (!found()) return;
      newSignal.delete(wake);
      resolve();
    };
    newSignal.add(wake);
    timer = setTimeout(() => {
      newSignal.delete(wake);
      resolve();
    }, request.timeoutMs);
    wake();
  });
  await wait;
  clearTimeout(timer);
  const got = found();
  return got
    ? { ok: true, body: [got] }
    : { ok: false, error: 'timeout', message: `no ${request.member} at ${request.path}` };
}

const signals = () => ({ ok: true, body: [received] });

function emit(request) {
  const message = new Message({
    type: SIGNAL,
    path: request.path,
    interface: request.iface,
    member: request.member,
    signature: request.signature ?? '',
    body: revive(request.body ?? []),
  });
  if (request.destination) message.destination = request.destination;
  bus.send(message);
  return { ok: true, body: [] };
}

async function match(request) {
  return call({
    destination: 'org.freedesktop.DBus',
    path: '/org/freedesktop/DBus',
    iface: 'org.freedesktop.DBus',
    member: 'AddMatch',
    signature: 's',
    body: [request.rule],
  });
}

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

/** One call with a deadline (dbus-next's own call has none): its error name, or 'ok' or 'timeout', and how long it took. */
async function timedCall(request) {
  const started = performance.now();
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: 'timeout' }), request.timeoutMs);
  });
  const reply = await Promise.race([call(request), deadline]);
  clearTimeout(timer);
  return {
    error: reply.ok ? 'ok' : reply.error,
    message: reply.ok ? '' : (reply.message ?? ''),
    ms: performance.now() - started,
  };
}

async function calls(request) {
  const answers = await Promise.all(Array.from({ length: request.count }, () => timedCall(request)));
  return { ok: true, body: answers };
}

/** One file-system change as this user: 'ok', or the errno code it failed with. */
function tryOnce(attempt) {
  try {
    switch (attempt.op) {
      case 'unlink':
        unlinkSync(attempt.path);
        break;
      case 'rmdir':
        rmdirSync(attempt.path);
        break;
      case 'mkdir':
        mkdirSync(attempt.path);
        break;
      case 'create':
        closeSync(openSync(attempt.path, 'wx'));
        break;
      case 'read':
        readFileSync(attempt.path);
        break;
      case 'symlink':
        symlinkSync(attempt.target, attempt.path);
        break;
      case 'rename':
        renameSync(attempt.from, attempt.to);
        break;
      default:
        return `unknown op ${attempt.op}`;
    }
    return 'ok';
  } catch (error) {
    return error.code ?? String(error);
  }
}

const tampering = new Map();

async function tamper(request) {
  const outcomes = request.attempts.map(() => ({}));
  const round = () =>
    request.attempts.forEach((attempt, i) => {
      const outcome = tryOnce(attempt);
      outcomes[i][outcome] = (outcomes[i][outcome] ?? 0) + 1;
    });
  if (request.tag === undefined) {
    round();
    return { ok: true, body: outcomes };
  }
  const state = { stopped: false };
  tampering.set(request.tag, state);
  // A round, then a turn for whatever else came in (the untamper that ends it).
  while (!state.stopped) {
    round();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { ok: true, body: outcomes };
}

function untamper(request) {
  const state = tampering.get(request.tag);
  tampering.delete(request.tag);
  if (state) state.stopped = true;
  return { ok: state !== undefined };
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

async function churn(request) {
  const outcomes = {};
  const once = () =>
    new Promise((resolve) => {
      const connection = createConnection(request.path);
      const finish = (outcome) => {
        connection.destroy();
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        resolve();
      };
      connection.on('connect', () => setTimeout(() => finish('closed'), request.holdMs));
      connection.on('error', (error) => finish(error.code ?? String(error)));
    });
  for (let done = 0; done < request.count; done += request.parallel)
    await Promise.all(Array.from({ length: Math.min(request.parallel, request.count - done) }, once));
  return { ok: true, body: [outcomes] };
}

bus.on('connect', () => answer({ id: 0, ok: true, body: [process.getuid(), process.pid, bus.name] }));
bus.on('error', (error) => answer({ id: 0, ok: false, error: String(error) }));
createInterface({ input: process.stdin }).on('line', async (line) => {
  const request = JSON.parse(line);
  const run = { socket, calls, tamper, untamper, churn, signal, signals, match, emit }[request.op] ?? call;
  const reply = await run(request);
  answer({ id: request.id, ...reply });
});
process.stdin.on('end', () => process.exit(0));
