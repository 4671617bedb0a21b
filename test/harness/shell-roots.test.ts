// The Shell harness never tests a Shell nobody asked for: build-rootfs.sh
// keeps one root per Debian suite and refuses to rebuild a folder that holds
// another suite's root (or anything that is not a root of its own) in its
// place, and run-shell.sh refuses a root that is not the asked-for Shell's
// suite before it starts anything. Checked on stand-in roots: a stamp is all
// either script reads before refusing.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
let dir: string;

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; output: string } {
  const result = spawnSync('bash', [join(REPO, 'test/shell', script), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A folder standing for a built root: its stamp, and a file that must survive. */
function standIn(name: string, stamp: string | undefined): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'usr'), { recursive: true });
  writeFileSync(join(root, 'usr/keep'), 'untouched');
  if (stamp !== undefined) writeFileSync(join(root, '.phyllome-rootfs-stamp'), stamp);
  return root;
}

// A folder of its own per test: each lists what it finds there.
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'phyllome-roots-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it("refuses to rebuild another suite's root in its place", () => {
  const forky = standIn('forky', 'suite=forky\nscript=0\nshell=50.5\n');
  const { status, output } = run('build-rootfs.sh', ['--shell', '48'], { ROOT: forky });
  expect(status).toBe(2);
  expect(output).toMatch(/holds forky \(GNOME Shell 50\.5\), not trixie; refusing to rebuild it as trixie/);
  expect(readFileSync(join(forky, 'usr/keep'), 'utf8')).toBe('untouched');
  expect(readdirSync(dir).sort()).toEqual(['forky', 'forky.lock']);
});

it('refuses a folder that is no root of its own, and a stamp that names no suite (an older build)', () => {
  for (const [name, stamp] of [
    ['other', undefined],
    ['older', 'c58273019126047b8c762e51215e39c4e066a50308a940f3b62074da184954af\n'],
  ] as const) {
    const root = standIn(name, stamp);
    const { status, output } = run('build-rootfs.sh', ['--suite', 'trixie', root]);
    expect(status, name).toBe(2);
    expect(output).toMatch(
      /not a root of this script's that names its suite \(no suite in .*\); refusing to replace it/,
    );
    expect(readFileSync(join(root, 'usr/keep'), 'utf8')).toBe('untouched');
  }
});

it('knows which suite ships which Shell, and no other', () => {
  expect(run('build-rootfs.sh', ['--shell', '49']).output).toMatch(/no suite ships GNOME Shell 49/);
  expect(run('build-rootfs.sh', ['--suite', 'sid', '--shell', '50']).output).toMatch(
    /--shell 50 is forky's, not sid's/,
  );
});

it("refuses to run a Shell from another suite's root, before starting anything", () => {
  const sid = standIn('sid', 'suite=sid\nscript=0\nshell=51.0\n');
  const { status, output } = run('run-shell.sh', ['--shell', '50', '--root', sid, '--', 'true']);
  expect(status).toBe(2);
  expect(output).toMatch(/holds sid, not forky \(GNOME Shell 50\)/);
  expect(run('run-shell.sh', ['--shell', '49', '--', 'true']).output).toMatch(/no suite ships GNOME Shell 49/);
});
