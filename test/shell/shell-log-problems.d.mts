// Types of shell-log-problems.mjs.

/** Each line that `starts` matches, with the stack lines that follow it. */
export function entriesIn(log: string, starts: RegExp): string[][];
/** Each Gjs critical or JS error of a Shell log, with its stack lines, that is not the Shell's own. */
export function problemsIn(log: string): string[][];
