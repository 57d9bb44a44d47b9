// A one-line progress bar on a terminal, redrawn at most ten times a second
// and removed when done. On anything but a terminal it prints nothing.
import type { Writable } from 'node:stream';

const BAR_WIDTH = 30;
const REDRAW_INTERVAL_MS = 100;

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: Writable,
    private readonly enabled: boolean,
    private readonly label: string,
    private readonly formatCount: (done: number, total: number) => string = (done, total) =>
      `${Math.floor((100 * done) / Math.max(total, 1))}%`,
  ) {}

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (this.drawn && now - this.lastDraw < REDRAW_INTERVAL_MS && done < total) return;
    this.lastDraw = now;
    this.drawn = true;
    const filled = Math.round((BAR_WIDTH * Math.min(done, total)) / Math.max(total, 1));
    this.out.write(`\r${this.label} [${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${this.formatCount(done, total)}`);
  }

  /** Clears the bar's line so that the next message starts on a clean line. */
  finish(): void {
    if (!this.enabled || !this.drawn) return;
    this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** Formats a byte count as the tools print sizes, e.g. "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
