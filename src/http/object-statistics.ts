// Per-object access statistics, kept in memory by digest so that they
// survive a remount. They follow the original's counters: hits (lookups that
// found the object), misses (digest lookups that found nothing), completed
// downloads, and download progress counters that count responses whose body
// reached 0 %, 50 % and 100 % of the object size. Failed name lookups have no
// digest, so they are only counted in `invalidRequests`.

/** Thresholds of the download progress counters, in percent of the object size. */
export const DOWNLOAD_PROGRESS_PERCENTS: readonly number[] = [0, 50, 100];

export interface ObjectStatistics {
  /** Lower-case hex digest. */
  digestHex: string;
  hits: number;
  misses: number;
  /** Responses whose body was sent completely (a range counts when the range was sent). */
  completed: number;
  /** Responses cut short because the client left or a read failed. */
  aborted: number;
  /** One counter per entry of DOWNLOAD_PROGRESS_PERCENTS. */
  progress: number[];
  lastAccess: Date | undefined;
}

/** Tracks the body of one response for the progress counters. */
export interface DownloadTracker {
  addBytes(count: number): void;
  finish(completed: boolean): void;
}

/**
 * Records kept for requested digests that are not on the volume. Any client
 * can invent digests, so these records are bounded; the objects of the
 * volume bound the others. The original kept misses in a fixed-size hash
 * table too.
 */
export const MISSED_DIGESTS_MAX = 4096;

export class ObjectStatisticsTable {
  /** Name lookups that found no object. */
  invalidRequests = 0;
  /** Misses of digests that found no room among the MISSED_DIGESTS_MAX records. */
  untrackedMisses = 0;
  private readonly records = new Map<string, ObjectStatistics>();
  /** How many records exist only because of misses. */
  private missOnlyRecords = 0;

  recordHit(digestHex: string, now: Date): void {
    const record = this.recordOf(digestHex);
    record.hits++;
    record.lastAccess = now;
  }

  recordMiss(digestHex: string, now: Date): void {
    let record = this.records.get(digestHex);
    if (record === undefined) {
      if (this.missOnlyRecords >= MISSED_DIGESTS_MAX) {
        this.untrackedMisses++;
        return;
      }
      this.missOnlyRecords++;
      record = this.recordOf(digestHex);
    }
    record.misses++;
    record.lastAccess = now;
  }

  recordInvalidRequest(): void {
    this.invalidRequests++;
  }

  /** Starts tracking a response body for an object of `objectSize` bytes. */
  startDownload(digestHex: string, objectSize: number): DownloadTracker {
    const record = this.recordOf(digestHex);
    const thresholds = DOWNLOAD_PROGRESS_PERCENTS.map((percent) => (percent * objectSize) / 100);
    let sent = 0;
    let reached = 0;
    let finished = false;

    const advance = (): void => {
      while (reached < thresholds.length && sent >= thresholds[reached]) {
        record.progress[reached]++;
        reached++;
      }
    };
    advance();

    return {
      addBytes(count: number): void {
        sent += count;
        advance();
      },
      finish(completed: boolean): void {
        if (finished) return;
        finished = true;
        if (completed) record.completed++;
        else record.aborted++;
      },
    };
  }

  get(digestHex: string): ObjectStatistics | undefined {
    const record = this.records.get(digestHex);
    return record === undefined ? undefined : copyRecord(record);
  }

  /** Copies of every record, in the order of first access. */
  snapshot(): ObjectStatistics[] {
    return [...this.records.values()].map(copyRecord);
  }

  clear(): void {
    this.records.clear();
    this.invalidRequests = 0;
    this.untrackedMisses = 0;
    this.missOnlyRecords = 0;
  }

  private recordOf(digestHex: string): ObjectStatistics {
    let record = this.records.get(digestHex);
    if (record === undefined) {
      record = emptyStatistics(digestHex);
      this.records.set(digestHex, record);
    }
    return record;
  }
}

export function emptyStatistics(digestHex: string): ObjectStatistics {
  return {
    digestHex,
    hits: 0,
    misses: 0,
    completed: 0,
    aborted: 0,
    progress: DOWNLOAD_PROGRESS_PERCENTS.map(() => 0),
    lastAccess: undefined,
  };
}

function copyRecord(record: ObjectStatistics): ObjectStatistics {
  return { ...record, progress: [...record.progress] };
}
