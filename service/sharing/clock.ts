// Sharing goes by the service's clock (../clock.ts).

export { delay, REAL_CLOCK, type Clock } from '../clock.js';
