// What the other computer tries against a share, run there (in its network
// namespace) by sharing.test.ts: one request as JSON on the command line,
// one answer as JSON on stdout. Plain JavaScript, so that it runs without
// the test's TypeScript loader.
//   { op: 'scan', host, first, last }  a TCP connect scan: which ports answer,
//        how many refuse, how many did neither (each outcome counted)
//   { op: 'link', host, port, password, ca?, subject?, fingerprint? }  a SPICE
//        client's link on the main channel over TLS — the host's certificate
//        checked as spice-gtk checks it (ca and host subject), by its SHA-256
//        fingerprint, or, with neither, against the system's authorities —
//        with that password; answers SPICE's link
//        result (0 accepted, 7 permission denied), how long the verdict took
//        and when it came (ms since the epoch), or the error that stopped it first

import { Buffer } from 'node:buffer';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect } from 'node:tls';

const request = JSON.parse(process.argv[2] ?? '{}');

function tryPort(host, port) {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (outcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(3000, () => done('timeout'));
    socket.once('connect', () => done('open'));
    socket.once('error', (error) => done(error.code ?? 'error'));
    socket.connect(port, host);
  });
}

async function scan({ host, first, last }) {
  const open = [];
  const outcomes = {};
  let next = first;
  const worker = async () => {
    while (next <= last) {
      const port = next++;
      const outcome = await tryPort(host, port);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome === 'open') open.push(port);
    }
  };
  await Promise.all(Array.from({ length: 256 }, worker));
  return { open: open.sort((a, b) => a - b), outcomes };
}

/** SpiceLinkHeader and SpiceLinkMess for the main channel: auth selection, SPICE auth, mini header. */
function linkMessage() {
  const body = Buffer.alloc(22);
  body.writeUInt8(1, 4);
  body.writeUInt32LE(1, 6);
  body.writeUInt32LE(0, 10);
  body.writeUInt32LE(18, 14);
  body.writeUInt32LE(0b1011, 18);
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(body.length, 12);
  return Buffer.concat([header, body]);
}

function link({ host, port, password, ca, subject, fingerprint }) {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let stage = 'reply';
    let sentAt = 0;
    const finish = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    const socket = connect({
      host,
      port,
      ...(ca ? { ca } : fingerprint ? { rejectUnauthorized: false } : {}),
      checkServerIdentity: (_host, peer) => {
        if (subject && `CN=${peer.subject.CN}` !== subject) return new Error(`subject CN=${peer.subject.CN}`);
        return undefined;
      },
    });
    socket.setTimeout(20_000, () => finish({ error: 'timeout', stage }));
    socket.once('secureConnect', () => {
      if (fingerprint && socket.getPeerCertificate().fingerprint256 !== fingerprint)
        return finish({ error: 'fingerprint', stage });
      socket.write(linkMessage());
    });
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      if (stage === 'reply' && received.length >= 16 && received.length >= 16 + received.readUInt32LE(12)) {
        const size = received.readUInt32LE(12);
        const reply = received.subarray(16, 16 + size);
        received = received.subarray(16 + size);
        if (reply.readUInt32LE(0) !== 0) return finish({ result: reply.readUInt32LE(0), stage });
        const key = createPublicKey({ key: reply.subarray(4, 166), format: 'der', type: 'spki' });
        const ticket = publicEncrypt(
          { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
          Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from([0])]),
        );
        const mechanism = Buffer.alloc(4);
        mechanism.writeUInt32LE(1);
        stage = 'result';
        sentAt = performance.now();
        socket.write(Buffer.concat([mechanism, ticket]));
      }
      if (stage === 'result' && received.length >= 4)
        finish({ result: received.readUInt32LE(0), ms: Math.round(performance.now() - sentAt), at: Date.now() });
    });
    socket.once('error', (error) => finish({ error: error.code ?? error.message, stage }));
    socket.once('close', () => finish({ error: 'closed', stage }));
  });
}

const run = { scan, link }[request.op];
const answer = run ? await run(request) : { error: `unknown op ${request.op}` };
process.stdout.write(`${JSON.stringify(answer)}\n`);
