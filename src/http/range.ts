// Byte ranges (RFC 9110 section 14). A request for several ranges gets the
// whole object (200), which section 14.2 allows because a server may ignore
// Range. Only a single satisfiable range gets a 206.

/** Bytes [start, end) of a representation. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeEvaluation =
  /** No Range header, or one to ignore: invalid syntax, another unit, several ranges. */
  | { kind: 'ignore' }
  | { kind: 'single'; range: ByteRange }
  | { kind: 'unsatisfiable' };

/** More range-specs than this make the header ignored, so a client cannot make the server do quadratic work. */
export const RANGE_SPECS_MAX = 100;

const BYTES_UNIT = 'bytes';
const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;

/** Evaluates a Range header field against a representation of `size` bytes. */
export function evaluateRange(header: string | undefined, size: number): RangeEvaluation {
  if (header === undefined) return { kind: 'ignore' };

  // ranges-specifier = range-unit "=" range-set (section 14.1.1); the unit is case-insensitive.
  const equals = header.indexOf('=');
  if (equals < 0 || header.slice(0, equals).trim().toLowerCase() !== BYTES_UNIT) return { kind: 'ignore' };

  // range-set = 1#range-spec; recipients accept empty list elements (section 5.6.1).
  const specs = header
    .slice(equals + 1)
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length === 0 || specs.length > RANGE_SPECS_MAX) return { kind: 'ignore' };

  const satisfiable: ByteRange[] = [];
  for (const spec of specs) {
    const range = parseRangeSpec(spec, size);
    if (range === 'invalid') return { kind: 'ignore' };
    if (range !== 'unsatisfiable') satisfiable.push(range);
  }

  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  if (satisfiable.length > 1) return { kind: 'ignore' };
  return { kind: 'single', range: satisfiable[0] };
}

/** Content-Range value of a 206 response (section 14.4). */
export function contentRange(range: ByteRange, size: number): string {
  return `${BYTES_UNIT} ${range.start}-${range.end - 1}/${size}`;
}

/** Content-Range value of a 416 response (section 15.5.17). */
export function unsatisfiedContentRange(size: number): string {
  return `${BYTES_UNIT} */${size}`;
}

function parseRangeSpec(spec: string, size: number): ByteRange | 'invalid' | 'unsatisfiable' {
  const intRange = INT_RANGE.exec(spec);
  if (intRange !== null) {
    const first = Number(intRange[1]);
    const last = intRange[2] === '' ? Infinity : Number(intRange[2]);
    // An int-range whose last-pos is below its first-pos is invalid (section 14.1.1).
    if (last < first) return 'invalid';
    // Satisfiable when first-pos is below the length (section 14.1.2).
    if (first >= size) return 'unsatisfiable';
    return { start: first, end: Math.min(last, size - 1) + 1 };
  }

  const suffixRange = SUFFIX_RANGE.exec(spec);
  if (suffixRange !== null) {
    const suffixLength = Number(suffixRange[1]);
    // A suffix-range is satisfiable when its length is non-zero and the representation is not empty.
    if (suffixLength === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffixLength), end: size };
  }
  return 'invalid';
}
