// The sender's record of SACK blocks (RFC 6675 section 3): which bytes
// above SND.UNA the receiver holds, which holes count as lost, how much
// data is still in the network ("pipe") and which hole to repair next.
import { seqDiff, seqGt, seqLt, seqMax } from './sequence';

/** Discontiguous SACKed ranges above a byte that make it lost (DupThresh, RFC 6675 section 2). */
const DUP_THRESH = 3;
/** Separate SACKed ranges kept; blocks that would add more are ignored. */
export const SACK_MAX_RANGES = 128;

export interface SequenceRange {
  start: number;
  end: number;
}

export class SackScoreboard {
  /** SACKed ranges as flat start, end pairs, sorted and merged. */
  private ranges: number[] = [];
  /** One past the highest byte retransmitted in this recovery (HighRxt), or undefined. */
  private highRetransmitted: number | undefined;
  /** Whether the rescue retransmission of this recovery was sent (RescueRxt). */
  private rescued = false;
  private readonly hole: SequenceRange = { start: 0, end: 0 };

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** SACKed ranges as flat pairs, for tests. */
  get sackedRanges(): readonly number[] {
    return this.ranges;
  }

  /**
   * Adds the SACK blocks of an ACK and returns the number of bytes they
   * SACK that were not SACKed before. Blocks outside (SND.UNA, SND.MAX]
   * are ignored, as are blocks with the left edge not below the right edge.
   */
  update(blocks: readonly number[], sndUna: number, sndMax: number): number {
    let newlySacked = 0;
    for (let i = 0; i + 1 < blocks.length; i += 2) {
      let start = blocks[i];
      const end = blocks[i + 1];
      if (!seqLt(start, end) || seqGt(end, sndMax) || !seqGt(end, sndUna)) continue;
      if (seqLt(start, sndUna)) start = sndUna;
      newlySacked += this.insert(start, end, sndUna);
    }
    return newlySacked;
  }

  /** Forgets everything at or below the new cumulative ACK. */
  acknowledge(ack: number): void {
    let drop = 0;
    while (drop < this.ranges.length && !seqGt(this.ranges[drop + 1], ack)) drop += 2;
    if (drop > 0) this.ranges.splice(0, drop);
    if (this.ranges.length > 0 && seqLt(this.ranges[0], ack)) this.ranges[0] = ack;
    if (this.highRetransmitted !== undefined && !seqGt(this.highRetransmitted, ack)) this.highRetransmitted = undefined;
  }

  /** Records that everything below `end` was retransmitted in this recovery (HighRxt). */
  markRetransmitted(end: number): void {
    if (this.highRetransmitted === undefined || seqGt(end, this.highRetransmitted)) this.highRetransmitted = end;
  }

  /** Starts a recovery episode: nothing counts as retransmitted yet. */
  startRecovery(): void {
    this.highRetransmitted = undefined;
    this.rescued = false;
  }

  clear(): void {
    this.ranges.length = 0;
    this.highRetransmitted = undefined;
    this.rescued = false;
  }

  /**
   * IsLost (RFC 6675 section 4): true when DupThresh discontiguous SACKed
   * ranges, or more than (DupThresh - 1) * SMSS SACKed bytes, lie above `seq`.
   */
  isLost(seq: number, mss: number): boolean {
    let ranges = 0;
    let bytes = 0;
    for (let i = this.ranges.length - 2; i >= 0; i -= 2) {
      const start = this.ranges[i];
      const end = this.ranges[i + 1];
      if (!seqGt(end, seq)) break;
      ranges++;
      bytes += seqDiff(end, seqMax(start, seq));
      if (ranges >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss) return true;
    }
    return false;
  }

  /**
   * Start of the lowest SACKed range such that every hole byte below it is
   * lost by IsLost, or `sndUna` when no byte is lost. Walking from the top
   * finds it because lost-ness only grows towards lower sequence numbers.
   */
  private lostBelow(sndUna: number, mss: number): number {
    let ranges = 0;
    let bytes = 0;
    for (let i = this.ranges.length - 2; i >= 0; i -= 2) {
      ranges++;
      bytes += seqDiff(this.ranges[i + 1], this.ranges[i]);
      if (ranges >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss) return this.ranges[i];
    }
    return sndUna;
  }

  /**
   * SetPipe (RFC 6675 section 4): bytes between SND.UNA and SND.NXT that
   * are neither SACKed nor lost, plus those retransmitted and not SACKed.
   */
  pipe(sndUna: number, sndNxt: number, mss: number): number {
    const lostEnd = this.lostBelow(sndUna, mss);
    const retransmittedEnd = this.highRetransmitted ?? sndUna;
    let pipe = 0;
    let position = sndUna;
    let i = 0;
    while (seqLt(position, sndNxt)) {
      // The hole runs from `position` to the next SACKed range or SND.NXT.
      while (i < this.ranges.length && !seqGt(this.ranges[i + 1], position)) i += 2;
      let holeEnd = sndNxt;
      if (i < this.ranges.length && seqLt(this.ranges[i], sndNxt)) holeEnd = seqMax(this.ranges[i], position);
      pipe += countBetween(position, holeEnd, lostEnd, sndNxt);
      pipe += countBetween(position, holeEnd, sndUna, retransmittedEnd);
      if (i >= this.ranges.length || !seqLt(this.ranges[i], sndNxt)) break;
      position = this.ranges[i + 1];
    }
    return pipe;
  }

  /**
   * NextSeg rule (1) (RFC 6675 section 4): the first lost hole above
   * HighRxt, or undefined when none. The returned object is reused.
   */
  nextLost(sndUna: number, sndNxt: number, mss: number): SequenceRange | undefined {
    const lostEnd = this.lostBelow(sndUna, mss);
    let position = this.highRetransmitted !== undefined && seqGt(this.highRetransmitted, sndUna) ? this.highRetransmitted : sndUna;
    let i = 0;
    while (seqLt(position, lostEnd) && seqLt(position, sndNxt)) {
      while (i < this.ranges.length && !seqGt(this.ranges[i + 1], position)) i += 2;
      if (i < this.ranges.length && !seqGt(this.ranges[i], position)) {
        // Inside a SACKed range: skip to its end.
        position = this.ranges[i + 1];
        continue;
      }
      const holeEnd = i < this.ranges.length ? this.ranges[i] : sndNxt;
      this.hole.start = position;
      this.hole.end = seqLt(holeEnd, lostEnd) ? holeEnd : lostEnd;
      return this.hole;
    }
    return undefined;
  }

  /** Merges [start, end) into the ranges and returns the number of bytes it added. */
  /**
   * NextSeg rule (3) (RFC 6675 section 4): the first unSACKed range above
   * HighRxt (or `sndUna`) that lies below the highest SACKed byte, lost or
   * not by IsLost, or undefined when none. For a sender that has no new
   * data to send. The returned object is reused.
   */
  nextUnsacked(sndUna: number, sndNxt: number): SequenceRange | undefined {
    if (this.ranges.length === 0) return undefined;
    const highestSacked = this.ranges[this.ranges.length - 1];
    let position = this.highRetransmitted !== undefined && seqGt(this.highRetransmitted, sndUna) ? this.highRetransmitted : sndUna;
    for (let i = 0; i < this.ranges.length && seqLt(position, highestSacked) && seqLt(position, sndNxt); i += 2) {
      if (!seqGt(this.ranges[i + 1], position)) continue;
      if (seqGt(this.ranges[i], position)) {
        this.hole.start = position;
        this.hole.end = this.ranges[i];
        return this.hole;
      }
      position = this.ranges[i + 1];
    }
    return undefined;
  }

  /**
   * NextSeg rule (4) (RFC 6675 section 4), the rescue retransmission: once
   * per recovery, one segment of up to `mss` bytes that ends at the highest
   * unSACKed byte below `sndNxt`. It repairs a loss at the end of the data,
   * which no SACK block can reveal, without waiting for the timeout. HighRxt
   * does not move. Returns undefined when it was sent already or when
   * nothing above HighRxt is unSACKed. The returned object is reused.
   */
  rescue(sndUna: number, sndNxt: number, mss: number): SequenceRange | undefined {
    if (this.rescued) return undefined;
    const count = this.ranges.length;
    let end = sndNxt;
    let floor = count > 0 ? this.ranges[count - 1] : sndUna;
    if (count > 0 && !seqLt(this.ranges[count - 1], sndNxt)) {
      // The top of the window is SACKed: the hole below the highest range ends it.
      end = this.ranges[count - 2];
      floor = count >= 4 ? this.ranges[count - 3] : sndUna;
    }
    if (seqLt(floor, sndUna)) floor = sndUna;
    if (this.highRetransmitted !== undefined && seqGt(this.highRetransmitted, floor)) floor = this.highRetransmitted;
    if (!seqGt(end, floor)) return undefined;
    this.rescued = true;
    this.hole.start = seqDiff(end, floor) > mss ? (end - mss) >>> 0 : floor;
    this.hole.end = end;
    return this.hole;
  }

  private insert(start: number, end: number, base: number): number {
    const ranges = this.ranges;
    let i = 0;
    while (i < ranges.length && seqDiff(ranges[i + 1], base) < seqDiff(start, base)) i += 2;
    let mergedStart = start;
    let mergedEnd = end;
    let coveredBefore = 0;
    let j = i;
    while (j < ranges.length && seqDiff(ranges[j], base) <= seqDiff(mergedEnd, base)) {
      if (seqDiff(ranges[j], base) < seqDiff(mergedStart, base)) mergedStart = ranges[j];
      if (seqDiff(ranges[j + 1], base) > seqDiff(mergedEnd, base)) mergedEnd = ranges[j + 1];
      coveredBefore += seqDiff(ranges[j + 1], ranges[j]);
      j += 2;
    }
    // A block that would add one more separate range beyond the limit is
    // ignored: SACK information is advisory (RFC 2018 section 8), and a
    // receiver that SACKs every other byte must not make each ACK cost
    // time in proportion to the window.
    if (j === i && ranges.length >= SACK_MAX_RANGES * 2) return 0;
    ranges.splice(i, j - i, mergedStart, mergedEnd);
    return seqDiff(mergedEnd, mergedStart) - coveredBefore;
  }
}

/** Length of the overlap of [start, end) with [from, to), in sequence space. */
function countBetween(start: number, end: number, from: number, to: number): number {
  const low = seqGt(start, from) ? start : from;
  const high = seqLt(end, to) ? end : to;
  return seqGt(high, low) ? seqDiff(high, low) : 0;
}
