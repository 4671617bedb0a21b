// Loaded into the service under measurement with `node --import`: counts
// the timer callbacks that run, the wake-ups our own code asks for. On
// SIGUSR2 it prints the count so far to stderr.

let fired = 0;
const originalSetTimeout = globalThis.setTimeout;
const originalSetInterval = globalThis.setInterval;

globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
  originalSetTimeout(() => {
    fired++;
    callback(...args);
  }, ms)) as typeof setTimeout;

globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
  originalSetInterval(() => {
    fired++;
    callback(...args);
  }, ms)) as typeof setInterval;

process.on('SIGUSR2', () => {
  const m = process.memoryUsage();
  const mib = (n: number): string => (n / 1048576).toFixed(1);
  process.stderr.write(
    `timer-probe fired=${fired} rss=${mib(m.rss)} heapTotal=${mib(m.heapTotal)} heapUsed=${mib(m.heapUsed)} external=${mib(m.external)}\n`,
  );
});
