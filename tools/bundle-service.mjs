// Bundles the service into one executable ESM file (and its guest-files helper, the helper's
// workers' own small program, and its display relay, a gjs program). One module to load is
// both the cheapest start (Node's ESM loader costs several MB per package
// tree) and the simplest install: no node_modules on the host.

import { chmodSync } from 'node:fs';
import { build } from 'esbuild';

// The service idles far more than it works: V8 may trade speed for memory (--optimize-for-size). It
// keeps its optimizing compiler, though that costs ~8 MB of RSS (npm run bench -- idle: 58 MiB idle,
// 50 without): what another user sends the host-wide service is read, judged and refused in JavaScript,
// and without it each message cost 4 times the CPU (9.3 µs against 2.3 to refuse one unread; 68 ms
// against 12 to decode 64 KiB of variants), which let one user's flood hold everybody for seconds.
export const NODE_FLAGS = ['--optimize-for-size'];
const outfile = 'build/phyllome-switcher-service';
// The helper and its workers copy and hash guests' disks: V8's optimizing compiler pays for itself there.
const filesOutfile = 'build/phyllome-switcher-files';
// A process per job: small, loading nothing of D-Bus or libvirt, so it starts quickly.
const workerOutfile = 'build/phyllome-switcher-worker';

for (const [entry, out, flags] of [
  ['service/main.ts', outfile, NODE_FLAGS],
  ['service/helper/main.ts', filesOutfile, []],
  ['service/worker/entry.ts', workerOutfile, []],
]) {
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    legalComments: 'linked',
    banner: {
      js: [
        `#!/usr/bin/env -S node ${flags.join(' ')}`.trimEnd(),
        // CommonJS dependencies inside an ESM bundle still call require().
        "import { createRequire as __phyllomeCreateRequire } from 'node:module';",
        'const require = __phyllomeCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  chmodSync(out, 0o755);
}

// The host-wide service's display relay runs in gjs (GLib takes file descriptors over D-Bus;
// Node cannot): one readable ES module, installed beside the executable.
await build({
  entryPoints: ['service/display/gjs/display-relay.ts'],
  outfile: 'build/phyllome-display-relay.js',
  bundle: true,
  format: 'esm',
  // Debian 12's gjs 1.74 runs SpiderMonkey 102.
  target: 'firefox102',
  external: ['gi://*'],
  minify: false,
  tsconfig: 'service/display/gjs/tsconfig.json',
  logLevel: 'warning',
});
