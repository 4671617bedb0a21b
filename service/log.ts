// One line per event on stdout/stderr, fit for the journal. Under systemd
// (JOURNAL_STREAM set) each line carries a syslog priority prefix so the
// journal files it at the right level.

import { readable } from './readable.js';

/** A line's longest text, in characters (journald takes lines of up to 48 KiB). */
const LINE_MAX = 8192;

type Level = 'error' | 'warning' | 'info' | 'debug';

const PRIORITY: Record<Level, number> = { error: 3, warning: 4, info: 6, debug: 7 };

const underJournal = process.env.JOURNAL_STREAM !== undefined;
const debugEnabled = process.env.PHYLLOME_DEBUG === '1';
/** Where info and debug lines go: stdout, unless stdout carries a protocol (a helper's, a worker's). */
let quietStream: NodeJS.WriteStream = process.stdout;

/** Sends every line to stderr: this process speaks a protocol on stdout. */
export function logToStderr(): void {
  quietStream = process.stderr;
}

function write(level: Level, message: string): void {
  if (level === 'debug' && !debugEnabled) return;
  // Never let a caller's string break the one-line rule, or reach a terminal's controls.
  const line = readable(message, LINE_MAX);
  const text = underJournal ? `<${PRIORITY[level]}>${line}\n` : `${level}: ${line}\n`;
  (level === 'error' || level === 'warning' ? process.stderr : quietStream).write(text);
}

export const log = {
  error: (message: string): void => write('error', message),
  warning: (message: string): void => write('warning', message),
  info: (message: string): void => write('info', message),
  debug: (message: string): void => write('debug', message),
};
