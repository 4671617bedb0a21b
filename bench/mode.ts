// Full benchmarks, or a smoke run of them (`npm run bench -- --smoke`, which
// npm test runs): every benchmark's code once, at tiny sizes, with one
// iteration and no settling waits, so that a benchmark that no longer runs
// fails the tests instead of being found broken months later. A smoke run's
// figures mean nothing; it fails on any error and on a measurement that came
// out empty (NaN), where a full run prints it.

/** Set by run.ts for itself and every process it starts (the Shell benchmarks' scripts). */
export const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';

/** A benchmark's size: the environment's VARIABLE when set, else the full run's or the smoke run's. */
export function sized(variable: string, full: number, smoke: number): number {
  const given = process.env[variable];
  return given !== undefined && given !== '' ? Number(given) : SMOKE ? smoke : full;
}

/** A wait that lets things settle before measuring, ms; none in a smoke run. */
export const settle = (ms: number): number => (SMOKE ? 0 : ms);

/** A measured value; in a smoke run, one that could not be measured (NaN) is a failure. */
export function measured(value: number, what: string): number {
  if (SMOKE && Number.isNaN(value)) throw new Error(`smoke run: ${what} could not be measured`);
  return value;
}
