// The allocator of new containers: a list of used chunk ranges kept in start
// order and searched for free space exactly as the original shfs_admin does,
// so that both tools place objects at the same chunks.

export type AllocationStrategy = 'first-fit' | 'best-fit';

interface UsedRange {
  start: number;
  end: number;
}

export class ContainerAllocator {
  private readonly used: UsedRange[] = [];

  constructor(
    /** Volume size in chunks: free space ends here. */
    readonly volumeSize: number,
    readonly strategy: AllocationStrategy,
  ) {}

  /**
   * Marks chunks [start, start + length) used. A new range goes after every
   * range with the same or a lower start, so a zero-length container
   * registered before a container at the same chunk stays in front of it.
   */
  register(start: number, length: number): void {
    let at = this.used.length;
    for (let i = 0; i < this.used.length; i++) {
      if (this.used[i].start > start) {
        at = i;
        break;
      }
    }
    this.used.splice(at, 0, { start, end: start + length });
  }

  /** Forgets a range registered earlier; false when there is none with exactly these bounds. */
  unregister(start: number, length: number): boolean {
    const index = this.used.findIndex((range) => range.start === start && range.end === start + length);
    if (index < 0) return false;
    this.used.splice(index, 1);
    return true;
  }

  /**
   * Returns the first chunk of a free area of `length` chunks, or 0 when
   * there is none. A zero length fits the first free area, so an empty
   * object gets a zero-length container where the next object will start.
   * NOTE: the original's best fit is a stub that finds nothing, so its tool
   * cannot add to a best-fit volume; here best fit takes the smallest area
   * that fits (the first of equal ones).
   */
  findFree(length: number): number {
    let best: { start: number; size: number } | undefined;
    for (const area of this.freeAreas()) {
      const size = area.end - area.start;
      if (size < length) continue;
      if (this.strategy === 'first-fit') return area.start;
      if (!best || size < best.size) best = { start: area.start, size };
    }
    return best ? best.start : 0;
  }

  /** Used ranges in list order, for tests and diagnostics. */
  ranges(): Array<{ start: number; end: number }> {
    return this.used.map((range) => ({ ...range }));
  }

  /**
   * Yields the free areas between used ranges, walked as the original does.
   * From the end of a range, ranges that start at or before the end of the
   * current one are skipped, which pushes the free start to the largest end
   * seen. The area then runs to the next range's start or to the volume's end.
   */
  private *freeAreas(): Generator<{ start: number; end: number }> {
    for (let i = 0; i < this.used.length; i++) {
      let freeStart = this.used[i].end;
      while (i + 1 < this.used.length && this.used[i + 1].start <= this.used[i].end) {
        freeStart = Math.max(freeStart, this.used[i + 1].end);
        i += 1;
      }

      let freeEnd: number;
      if (i + 1 < this.used.length) {
        freeEnd = this.used[i + 1].start;
      } else {
        freeEnd = this.volumeSize;
        if (freeEnd === freeStart) return;
      }
      // The original computes the size unsigned; an area that would be negative cannot occur with consistent containers.
      if (freeEnd >= freeStart) yield { start: freeStart, end: freeEnd };
    }
  }
}
