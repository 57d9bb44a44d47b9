// Timestamps of SHFS labels and entries: u64 seconds since the epoch.

/** Latest time a Date can hold, in ms after the epoch (ECMA-262: 100 000 000 days). */
const DATE_MAX_MS = 8.64e15;

/**
 * Converts seconds since the epoch to a Date. A value no Date can hold (a
 * damaged label or entry) becomes the epoch itself, so that it is shown as
 * 1970 instead of "Invalid Date" and compares like any other time.
 */
export function dateFromSeconds(seconds: number): Date {
  const ms = seconds * 1000;
  return Number.isFinite(ms) && ms <= DATE_MAX_MS ? new Date(ms) : new Date(0);
}
