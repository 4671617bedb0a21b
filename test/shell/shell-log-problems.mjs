// The Gjs criticals and JS errors in a GNOME Shell log that are not the
// Shell's own: run-e2e.sh fails a run on any of them and prints them. A
// problem is a line with Gjs-CRITICAL or JS ERROR, with the stack lines that
// follow it. It is the Shell's own when every place its stack names is in the
// Shell's or GJS's own code (resource:///org/gnome/shell/…,
// resource:///org/gnome/gjs/…); one that names a file of an extension, code
// a test ran through the Shell's Eval ("shellDBus.js line 78 > eval"), or no
// place at all, is not recognisably the Shell's and counts.
//
//   node test/shell/shell-log-problems.mjs LOG...   prints each problem, exits 1 if any
//
// Plain JavaScript so that the harness runs it without a build (typed by its .d.mts).

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const STARTS = /Gjs-CRITICAL \*\*|JS ERROR/;
// What a stack line looks like in GJS's output: a JS frame (name@place:line:column, the place of
// evaluated code being "file.js line 78 > eval"), a native dump's frame (#3 0x… i resource:///…:12
// (…)), or the header of such a dump.
const STACK_LINE = /^\s*(?:[^\s@]*@\S.*:\d+(?::\d+)?|#\d+\s.*|== Stack trace for context .*==)\s*$/;
const PLACE = /(?:resource|file):\/\/\/[^\s:)]+(?: line \d+ > eval)?/g;
const SHELLS_OWN = /^resource:\/\/\/org\/gnome\/(?:shell|gjs)\/[^ ]+$/;

/** Each line that `starts` matches, with the stack lines that follow it: one entry each, in order. */
export function entriesIn(log, starts) {
  const lines = log.split('\n');
  const entries = [];
  for (let i = 0; i < lines.length; i++) {
    if (!starts.test(lines[i])) continue;
    const entry = [lines[i]];
    while (i + 1 < lines.length && STACK_LINE.test(lines[i + 1])) entry.push(lines[++i]);
    entries.push(entry);
  }
  return entries;
}

/** Each problem's lines, in the order they appear, not counting the Shell's own. */
export function problemsIn(log) {
  return entriesIn(log, STARTS).filter((entry) => {
    const places = entry.join('\n').match(PLACE) ?? [];
    return !(places.length > 0 && places.every((place) => SHELLS_OWN.test(place)));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const entry of problemsIn(readFileSync(file, 'utf8'))) {
      if (found++ === 0) console.error('the Shell logged criticals or JS errors that are not its own:');
      console.error(`--- ${file}\n${entry.join('\n')}`);
    }
  }
  process.exit(found > 0 ? 1 : 0);
}
