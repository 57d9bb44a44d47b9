// Text formats shared by the commands. Dates are shown in UTC because the
// appliance has no time zone of its own.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** "Jan 15, 2024 10:00", the listing date of ls, stats and shfs-info. */
export function formatListingDate(date: Date): string {
  const day = String(date.getUTCDate()).padStart(2, ' ');
  return `${MONTHS[date.getUTCMonth()]} ${day}, ${date.getUTCFullYear()} ${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}`;
}

/** "Mon Jan 15 10:00:00 2024 UTC", the C locale's %c followed by the zone. */
export function formatFullDate(date: Date): string {
  const day = String(date.getUTCDate()).padStart(2, ' ');
  const time = `${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}`;
  return `${WEEKDAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${day} ${time} ${date.getUTCFullYear()} UTC`;
}

/** "1:02:03", or "2 days 1:02:03" from one day on. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const clock = `${hours}:${twoDigits(Math.floor((seconds % 3600) / 60))}:${twoDigits(seconds % 60)}`;
  if (days === 0) return clock;
  return `${days} ${days === 1 ? 'day' : 'days'} ${clock}`;
}

/** "46 B", "1.5 KiB", "2.25 MiB", "1.00 GiB". */
export function formatSize(bytes: number): string {
  if (bytes < KIB) return `${bytes} B`;
  if (bytes < MIB) return `${(bytes / KIB).toFixed(1)} KiB`;
  if (bytes < GIB) return `${(bytes / MIB).toFixed(2)} MiB`;
  return `${(bytes / GIB).toFixed(2)} GiB`;
}

/** Formats the digest column of ls, lsof and stats: "?" and the hex digest, padded to a fixed width. */
export function formatDigestColumn(digestHex: string, hashLength: number): string {
  // Column widths of the original's ls: 16, 32, 64, 96 or 128 hex digits.
  const widths = [16, 32, 64, 96, 128];
  const width = widths.find((candidate) => hashLength * 2 <= candidate) ?? hashLength * 2;
  return `?${digestHex.padEnd(width)}`;
}

/**
 * Hex dump lines of `bytes`, which start at object offset `offset`: the
 * offset, 16 bytes in groups of 4, and the printable characters.
 */
export function hexDumpLines(bytes: Buffer, offset: number): string[] {
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; start += 16) {
    const row = bytes.subarray(start, start + 16);
    let hex = '';
    for (let i = 0; i < 16; i++) {
      if (i > 0 && i % 4 === 0) hex += ' ';
      hex += i < row.length ? `${row[i].toString(16).padStart(2, '0')} ` : '   ';
    }
    const text = [...row].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${(offset + start).toString(16).padStart(8, '0')}  ${hex} |${text}|`);
  }
  return lines;
}

/**
 * Replaces control characters (C0, DEL and C1) with '?', as GNU ls does for
 * a terminal. Names and media types come from the volume, and escape
 * sequences in them would otherwise act on the user's terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}
