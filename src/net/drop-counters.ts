// Counts dropped frames by reason and logs each drop at debug level, so
// that nothing is dropped silently and the shell can show where traffic
// goes missing.
import type { Logger } from '../log';

/** Maximum number of distinct reasons kept; rarer ones are counted under "other". */
const MAX_REASONS = 256;

export class DropCounters {
  private readonly counts = new Map<string, number>();
  private totalDrops = 0;

  constructor(private readonly logger: Logger) {}

  /**
   * Counts one drop. `reason` is the category counted (keep it free of
   * per-packet values); `detail` is logged at debug level only.
   */
  drop(reason: string, detail?: string): void {
    this.totalDrops++;
    const key = this.counts.has(reason) || this.counts.size < MAX_REASONS ? reason : 'other';
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.logger.debugEnabled) this.logger.debug(detail === undefined ? `dropped: ${reason}` : `dropped: ${reason} (${detail})`);
  }

  get total(): number {
    return this.totalDrops;
  }

  /** Reasons with their counts, most frequent first. */
  entries(): Array<[string, number]> {
    return [...this.counts.entries()].sort((a, b) => b[1] - a[1]);
  }
}
