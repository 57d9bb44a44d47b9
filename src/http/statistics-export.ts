// The statistics export in the layout of the original MiniCache: a text line
// that describes the record fields, then one line per object
// ("<hex digest>;<last access>;<hits>;<misses>;<completed>;<0%>;<50%>;<100%>"),
// closed by a zero byte. Last access is in seconds since the epoch, 0 for
// never; counters are unsigned 32-bit and saturate. Objects of the volume
// come first in table order, then digests that were requested but are not
// on the volume.
import type { MountedVolume } from '../shfs/types';
import { DOWNLOAD_PROGRESS_PERCENTS, emptyStatistics, type ObjectStatistics } from './object-statistics';

const UINT32_MAX = 0xffffffff;
const COUNTER_BYTES = 4;

/** Returns the statistics records to export, volume objects first. */
export function exportRecords(volume: MountedVolume, objects: readonly ObjectStatistics[]): ObjectStatistics[] {
  const byDigest = new Map(objects.map((record) => [record.digestHex, record]));
  const records: ObjectStatistics[] = [];
  for (const entry of volume.entries()) {
    records.push(byDigest.get(entry.digestHex) ?? emptyStatistics(entry.digestHex));
    byDigest.delete(entry.digestHex);
  }
  for (const record of byDigest.values()) {
    if (record.digestHex.length === 2 * volume.hashLength) records.push(record);
  }
  return records;
}

/** Encodes records in the export layout; the result ends with a zero byte. */
export function formatStatisticsExport(records: readonly ObjectStatistics[], hashLength: number): Buffer {
  const fields = [
    `x${hashLength}k(hash)`,
    `u${COUNTER_BYTES}g(laccess)`,
    `u${COUNTER_BYTES}s(hits)`,
    `u${COUNTER_BYTES}s(miss)`,
    `u${COUNTER_BYTES}s(completed)`,
    ...DOWNLOAD_PROGRESS_PERCENTS.map((percent) => `u${COUNTER_BYTES}s(${percent}%)`),
  ];
  const lines = [fields.join(';')];
  for (const record of records) {
    const lastAccess = record.lastAccess === undefined ? 0 : Math.floor(record.lastAccess.getTime() / 1000);
    const values = [lastAccess, record.hits, record.misses, record.completed, ...record.progress].map(saturate);
    lines.push([record.digestHex, ...values].join(';'));
  }
  return Buffer.concat([Buffer.from(`${lines.join('\n')}\n`, 'latin1'), Buffer.from([0])]);
}

function saturate(value: number): number {
  return Math.min(UINT32_MAX, Math.max(0, Math.floor(value)));
}
