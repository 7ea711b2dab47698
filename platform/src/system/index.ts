export { systemClock } from './system-clock';
export { cryptoRandomSource } from './crypto-random-source';
export { isDependencyUnavailable } from './dependency-unavailable';
