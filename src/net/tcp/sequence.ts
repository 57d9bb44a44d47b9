// Sequence number arithmetic modulo 2^32 (RFC 9293 section 3.4). Two
// sequence numbers compare by the sign of their 32-bit difference, which is
// meaningful while they are less than 2^31 apart.

/** Returns `a - b` as a signed 32-bit distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** Returns `a + n` modulo 2^32 as an unsigned number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export function seqMax(a: number, b: number): number {
  return seqGe(a, b) ? a : b;
}

export function seqMin(a: number, b: number): number {
  return seqLe(a, b) ? a : b;
}

/** True when `start <= value < end`, all modulo 2^32. */
export function seqInRange(value: number, start: number, end: number): boolean {
  return seqLe(start, value) && seqLt(value, end);
}
