// The text of `shfs-admin -l` and `-i` in the original tools' columns, so
// that scripts written against the original keep working.
import type { LinkType } from './types';
import type { ListingEntry, VolumeInfo, VolumeReport } from './volume-report';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Digests up to this many bytes get a 64-column field, longer ones 128. */
const SHORT_DIGEST_MAX_BYTES = 32;

function pad2(value: number): string {
  return value.toString().padStart(2, '0');
}

/** Returns the year of the ISO 8601 week that contains `date` (local time), as strftime's %G computes it. */
function isoWeekYear(date: Date): number {
  const mondayBased = (date.getDay() + 6) % 7;
  const thursday = new Date(date.getFullYear(), date.getMonth(), date.getDate() - mondayBased + 3);
  return thursday.getFullYear();
}

/**
 * Formats a time as strftime "%b %e, %g %H:%M" in local time, e.g.
 * "Dec  4, 26 19:34". %g is the ISO week-based year, so Dec 31 may print
 * as the next year, exactly as the original shows it.
 */
export function formatListingDate(date: Date): string {
  const day = date.getDate().toString().padStart(2, ' ');
  const year = pad2(((isoWeekYear(date) % 100) + 100) % 100);
  return `${MONTHS[date.getMonth()]} ${day}, ${year} ${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

function linkTypeColumn(type: LinkType | undefined): string {
  if (type === 'raw') return 'raw';
  if (type === 'auto') return 'auto';
  return 'redir';
}

function digestWidth(hashLength: number): number {
  return hashLength <= SHORT_DIGEST_MAX_BYTES ? 64 : 128;
}

function listingRow(entry: ListingEntry, width: number): string {
  let line = `${entry.digestHex.padEnd(width)} `;
  line += entry.link ? ' '.repeat(26) : `${String(entry.chunk).padStart(12)} ${String(entry.sizeChunks).padStart(12)} `;
  line += `  ${entry.link ? 'L' : '-'}${entry.isDefault ? 'D' : '-'}${entry.hidden ? 'H' : '-'} `;
  line += entry.link ? `${linkTypeColumn(entry.linkType).padStart(5)} ${' '.padEnd(24)} ` : `      ${entry.mime.padEnd(24)} `;
  line += `${formatListingDate(entry.createdAt).padEnd(16)} ${entry.name}`;
  return line;
}

/** Formats the listing of `shfs-admin -l`: a header line and one line per entry, each ending in a newline. */
export function formatListing(report: VolumeReport): string {
  const width = digestWidth(report.info.hashLength);
  const header =
    `${'Hash'.padEnd(width)} ` +
    `${'Loc (chk)'.padStart(12)} ${'Size (chk)'.padStart(12)} ${'Flags'.padStart(5)} ${'LType'.padStart(5)} ` +
    `${'MIME'.padEnd(24)} ${'Added'.padEnd(16)} Name`;
  return [header, ...report.entries.map((entry) => listingRow(entry, width))].map((line) => `${line}\n`).join('');
}

/** Formats the volume summary of `shfs-admin -i` and `shfs-mkfs`. */
export function formatInfo(info: VolumeInfo): string {
  const [major, minor] = info.version.split('.');
  const lines = [
    `SHFS version:      ${major.padStart(2)}.${minor}`,
    `Volume name:        ${info.name}`,
    `Volume UUID:        ${info.uuid}`,
    `Creation date:      ${formatListingDate(info.createdAt)}`,
    `Chunksize:          ${Math.floor(info.chunkSize / 1024)} KiB`,
    `Volume size:        ${Math.floor((info.chunkSize * info.volumeSize) / 1024)} KiB`,
    `Hash function:      ${info.hashFunctionLabel} (${info.hashLength * 8} bits)`,
    `Hash table:         ${info.tableEntries} entries in ${info.bucketCount} buckets`,
    `                    ${info.tableChunks} chunks (${Math.floor((info.tableChunks * info.chunkSize) / 1024)} KiB)`,
    `                    ${info.backupTable ? '2nd copy enabled' : 'No copy'}`,
    `Entry size:         ${info.entrySize} Bytes (raw: ${info.entryRawSize} Bytes)`,
    `Metadata total:     ${info.metadataChunks} chunks`,
    `Available space:    ${info.availableChunks} chunks`,
    '',
    `Member stripe size: ${Math.floor(info.stripeSize / 1024)} KiB`,
    `Member stripe mode: ${info.stripeMode === 'combined' ? 'Combined' : 'Independent'}`,
    `Volume members:     ${info.members.length} device(s)`,
    ...info.members.map((member, index) => `  Member ${String(index).padStart(2)} UUID:   ${member.uuid}`),
  ];
  return lines.map((line) => `${line}\n`).join('');
}
