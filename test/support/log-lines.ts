// A process's log read as data rather than prose: each line's level (log.ts
// writes "LEVEL: text" when not under the journal) and the lines that name
// given values — a path, a volume, a uid. A test asserts what a line is
// about and how grave it is, so that rewording a sentence breaks nothing
// and a failure logged as a warning is not taken for work done.

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';

export interface LogLine {
  level: LogLevel;
  text: string;
}

const LINE = /^(error|warning|info|debug): (.*)$/;

/** Every line of the log that carries a level, in order. */
export function logLines(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of output.split('\n')) {
    const match = LINE.exec(line);
    if (match) lines.push({ level: match[1] as LogLevel, text: match[2] as string });
  }
  return lines;
}

/** The levels of the lines that name every one of `values` (each as a whole word or path). */
export function levelsOfLinesNaming(output: string, ...values: string[]): LogLevel[] {
  const named = (text: string, value: string): boolean =>
    new RegExp(`(^|[\\s"'(])${escape(value)}($|[\\s"'),:;])`).test(text);
  return logLines(output)
    .filter((line) => values.every((value) => named(line.text, value)))
    .map((line) => line.level);
}

/** A pattern that finds a line of `level` naming `value`, for waiting on a process's output. */
export function lineNaming(level: LogLevel, value: string): RegExp {
  return new RegExp(`^${level}: (.*[\\s"'(])?${escape(value)}($|[\\s"'),:;])`, 'm');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
