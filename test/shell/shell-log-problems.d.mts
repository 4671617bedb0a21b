// Types of shell-log-problems.mjs.

/** Each Gjs critical or JS error of a Shell log, with its stack lines, that is not the Shell's own. */
export function problemsIn(log: string): string[][];
