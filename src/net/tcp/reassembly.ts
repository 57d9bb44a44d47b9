// Out-of-order data held until the gap before it is filled (RFC 9293
// 3.10.7.4, "segments with higher beginning sequence numbers may be held
// for later processing"). Blocks are kept sorted and never overlap: a new
// segment is trimmed against what is already stored, so the first copy of
// any byte wins. The caller bounds the sequence space by the receive window.
import { seqDiff } from './sequence';

/** Maximum number of separate blocks held; more would let tiny segments exhaust memory. */
export const REASSEMBLY_MAX_BLOCKS = 256;

/**
 * Out-of-order bytes that the queues of one TCP layer hold together, and
 * the most they may. Each connection's window bounds its own queue, but a
 * peer with many connections could fill every window with data that never
 * becomes deliverable.
 */
export interface ReassemblyBudget {
  heldBytes: number;
  readonly maxBytes: number;
}

const RECENT_SEGMENTS = 4;

export class ReassemblyQueue {
  private seqs: number[] = [];
  private blocks: Uint8Array[] = [];
  /** Starting sequence numbers of the latest inserted segments, newest first, for SACK ordering. */
  private recent: number[] = [];
  private heldBytes = 0;
  /** Whether the last insert stored less than it could because the shared budget ran out. */
  budgetExceeded = false;

  /** `budget` is shared with the other queues of the layer; without it only the block limit applies. */
  constructor(private readonly budget?: ReassemblyBudget) {}

  get bytes(): number {
    return this.heldBytes;
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  get empty(): boolean {
    return this.blocks.length === 0;
  }

  /**
   * Stores a copy of the parts of `payload` (starting at sequence number
   * `seq`) that no block covers yet. `base` is RCV.NXT, the origin for
   * comparisons. Returns false when nothing new was stored, because the
   * bytes were duplicates or the block limit was reached.
   */
  insert(seq: number, payload: Uint8Array, base: number): boolean {
    let start = seqDiff(seq, base);
    const end = start + payload.length;
    let stored = false;
    let index = 0;
    this.budgetExceeded = false;

    while (start < end) {
      // Skip blocks that end at or before the start of what remains.
      while (index < this.blocks.length && seqDiff(this.seqs[index], base) + this.blocks[index].length <= start) index++;

      const nextStart = index < this.blocks.length ? seqDiff(this.seqs[index], base) : Infinity;
      if (nextStart <= start) {
        // Covered by the block at `index`; continue after it.
        start = nextStart + this.blocks[index].length;
        index++;
        continue;
      }

      if (this.blocks.length >= REASSEMBLY_MAX_BLOCKS) break;
      const pieceEnd = Math.min(end, nextStart);
      const budget = this.budget;
      if (budget !== undefined && budget.heldBytes + (pieceEnd - start) > budget.maxBytes) {
        this.budgetExceeded = true;
        break;
      }
      const offset = start - (end - payload.length);
      const piece = Buffer.from(payload.subarray(offset, offset + (pieceEnd - start)));
      this.seqs.splice(index, 0, (base + start) >>> 0);
      this.blocks.splice(index, 0, piece);
      this.heldBytes += piece.length;
      if (budget !== undefined) budget.heldBytes += piece.length;
      stored = true;
      index++;
      start = pieceEnd;
    }

    if (stored) {
      this.recent.unshift(seq >>> 0);
      if (this.recent.length > RECENT_SEGMENTS) this.recent.length = RECENT_SEGMENTS;
    }
    return stored;
  }

  /**
   * Removes and returns the first block when it starts at or before `base`
   * (RCV.NXT), trimmed to start at `base`. Returns undefined when a gap
   * remains. Blocks wholly before `base` are discarded.
   */
  shift(base: number): Uint8Array | undefined {
    while (this.blocks.length > 0) {
      const start = seqDiff(this.seqs[0], base);
      if (start > 0) return undefined;
      const block = this.blocks[0];
      this.seqs.shift();
      this.blocks.shift();
      this.heldBytes -= block.length;
      if (this.budget !== undefined) this.budget.heldBytes -= block.length;
      if (start + block.length > 0) return start === 0 ? block : block.subarray(-start);
    }
    return undefined;
  }

  /**
   * Appends up to `maxBlocks` SACK blocks (left, right pairs) for the held
   * data above `base`. Adjacent blocks merge into one range. The range
   * holding the latest segment comes first and the others follow by
   * recency (RFC 2018 section 4).
   */
  sackBlocks(base: number, maxBlocks: number, out: number[]): void {
    const ranges: number[] = [];
    for (let i = 0; i < this.blocks.length; i++) {
      const left = this.seqs[i];
      const right = (left + this.blocks[i].length) >>> 0;
      const last = ranges.length - 2;
      if (last >= 0 && ranges[last + 1] === left) ranges[last + 1] = right;
      else ranges.push(left, right);
    }

    const taken = new Array<boolean>(ranges.length / 2).fill(false);
    const emit = (range: number): void => {
      if (out.length / 2 >= maxBlocks || taken[range]) return;
      taken[range] = true;
      out.push(ranges[range * 2], ranges[range * 2 + 1]);
    };
    for (const seq of this.recent) {
      const offset = seqDiff(seq, base);
      for (let range = 0; range < taken.length; range++) {
        if (offset >= seqDiff(ranges[range * 2], base) && offset < seqDiff(ranges[range * 2 + 1], base)) emit(range);
      }
    }
    for (let range = taken.length - 1; range >= 0; range--) emit(range);
  }

  clear(): void {
    if (this.budget !== undefined) this.budget.heldBytes -= this.heldBytes;
    this.seqs.length = 0;
    this.blocks.length = 0;
    this.recent.length = 0;
    this.heldBytes = 0;
  }
}
