// HAVAL version 1 by Zheng, Pieprzyk and Seberry, with 3, 4 or 5 passes and
// 128 to 256 output bits. Words are little-endian, as in the authors'
// reference code (haval.c, Calyptix 2003). SHFS volumes use 3 passes,
// because that reproduces the digests the original tools stored through libmhash.

const BLOCK_BYTES = 128;
const HAVAL_VERSION = 1;
/** The length field and parameters that close the padded message: 10 bytes. */
const TAIL_BYTES = 10;
/** Padding runs to this many bytes modulo the block size, leaving room for the tail. */
const PADDED_REMAINDER = BLOCK_BYTES - TAIL_BYTES;

/** Initial state: the first 8 words of the fractional part of pi. */
const INITIAL_STATE = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89];

/** Round constants of passes 2 to 5: words 8 to 135 of the fractional part of pi, 32 per pass. */
const ROUND_CONSTANTS = Uint32Array.from([
  0x452821e6, 0x38d01377, 0xbe5466cf, 0x34e90c6c, 0xc0ac29b7, 0xc97c50dd, 0x3f84d5b5, 0xb5470917,
  0x9216d5d9, 0x8979fb1b, 0xd1310ba6, 0x98dfb5ac, 0x2ffd72db, 0xd01adfb7, 0xb8e1afed, 0x6a267e96,
  0xba7c9045, 0xf12c7f99, 0x24a19947, 0xb3916cf7, 0x0801f2e2, 0x858efc16, 0x636920d8, 0x71574e69,
  0xa458fea3, 0xf4933d7e, 0x0d95748f, 0x728eb658, 0x718bcd58, 0x82154aee, 0x7b54a41d, 0xc25a59b5,
  0x9c30d539, 0x2af26013, 0xc5d1b023, 0x286085f0, 0xca417918, 0xb8db38ef, 0x8e79dcb0, 0x603a180e,
  0x6c9e0e8b, 0xb01e8a3e, 0xd71577c1, 0xbd314b27, 0x78af2fda, 0x55605c60, 0xe65525f3, 0xaa55ab94,
  0x57489862, 0x63e81440, 0x55ca396a, 0x2aab10b6, 0xb4cc5c34, 0x1141e8ce, 0xa15486af, 0x7c72e993,
  0xb3ee1411, 0x636fbc2a, 0x2ba9c55d, 0x741831f6, 0xce5c3e16, 0x9b87931e, 0xafd6ba33, 0x6c24cf5c,
  0x7a325381, 0x28958677, 0x3b8f4898, 0x6b4bb9af, 0xc4bfe81b, 0x66282193, 0x61d809cc, 0xfb21a991,
  0x487cac60, 0x5dec8032, 0xef845d5d, 0xe98575b1, 0xdc262302, 0xeb651b88, 0x23893e81, 0xd396acc5,
  0x0f6d6ff3, 0x83f44239, 0x2e0b4482, 0xa4842004, 0x69c8f04a, 0x9e1f9b5e, 0x21c66842, 0xf6e96c9a,
  0x670c9c61, 0xabd388f0, 0x6a51a0d2, 0xd8542f68, 0x960fa728, 0xab5133a3, 0x6eef0b6c, 0x137a3be4,
  0xba3bf050, 0x7efb2a98, 0xa1f1651d, 0x39af0176, 0x66ca593e, 0x82430e88, 0x8cee8619, 0x456f9fb4,
  0x7d84a5c3, 0x3b8b5ebe, 0xe06f75d8, 0x85c12073, 0x401a449f, 0x56c16aa6, 0x4ed3aa62, 0x363f7706,
  0x1bfedf72, 0x429b023d, 0x37d0d724, 0xd00a1248, 0xdb0fead3, 0x49f1c09b, 0x075372c9, 0x80991b7b,
  0x25d479d8, 0xf6e8def7, 0xe3fe501a, 0xb6794c3b, 0x976ce0bd, 0x04c006ba, 0xc1a94fb6, 0x409f60c4,
]);

/** The order in which each pass reads the 32 words of a block. */
const WORD_ORDER = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31],
  [5, 14, 26, 18, 11, 28, 7, 16, 0, 23, 20, 22, 1, 10, 4, 8, 30, 3, 21, 9, 17, 24, 29, 6, 19, 12, 15, 13, 2, 25, 31, 27],
  [19, 9, 4, 20, 28, 17, 8, 22, 29, 14, 25, 12, 24, 30, 16, 26, 31, 15, 7, 3, 1, 0, 18, 27, 13, 6, 21, 10, 23, 11, 5, 2],
  [24, 4, 0, 14, 2, 7, 28, 23, 26, 6, 30, 20, 18, 25, 19, 3, 22, 11, 31, 21, 8, 27, 12, 9, 1, 29, 5, 15, 17, 10, 16, 13],
  [27, 3, 21, 26, 17, 11, 20, 29, 19, 0, 12, 7, 13, 8, 31, 10, 5, 9, 14, 30, 18, 6, 28, 24, 2, 23, 16, 22, 4, 1, 25, 15],
];

/**
 * The permutations phi: for pass j of a p-pass HAVAL, the registers (by
 * index 0..6) that feed the arguments x6, x5, ..., x0 of F_j.
 */
const PHI: Record<number, number[][]> = {
  3: [
    [1, 0, 3, 5, 6, 2, 4],
    [4, 2, 1, 0, 5, 3, 6],
    [6, 1, 2, 3, 4, 5, 0],
  ],
  4: [
    [2, 6, 1, 4, 5, 3, 0],
    [3, 5, 2, 0, 1, 6, 4],
    [1, 4, 3, 6, 0, 2, 5],
    [6, 4, 0, 5, 2, 1, 3],
  ],
  5: [
    [3, 4, 1, 0, 5, 2, 6],
    [6, 2, 1, 0, 3, 4, 5],
    [2, 6, 0, 4, 3, 1, 5],
    [1, 5, 3, 2, 0, 4, 6],
    [2, 5, 0, 6, 4, 3, 1],
  ],
};

type BooleanFunction = (x6: number, x5: number, x4: number, x3: number, x2: number, x1: number, x0: number) => number;

/** The boolean functions F1 to F5 of HAVAL, one per pass. */
const F: BooleanFunction[] = [
  (x6, x5, x4, x3, x2, x1, x0) => (x1 & (x0 ^ x4)) ^ (x2 & x5) ^ (x3 & x6) ^ x0,
  (x6, x5, x4, x3, x2, x1, x0) => (x2 & ((x1 & ~x3) ^ (x4 & x5) ^ x6 ^ x0)) ^ (x4 & (x1 ^ x5)) ^ (x3 & x5) ^ x0,
  (x6, x5, x4, x3, x2, x1, x0) => (x3 & ((x1 & x2) ^ x6 ^ x0)) ^ (x1 & x4) ^ (x2 & x5) ^ x0,
  (x6, x5, x4, x3, x2, x1, x0) => (x4 & ((x5 & ~x2) ^ (x3 & ~x6) ^ x1 ^ x6 ^ x0)) ^ (x3 & ((x1 & x2) ^ x5 ^ x6)) ^ (x2 & x6) ^ x0,
  (x6, x5, x4, x3, x2, x1, x0) => (x0 & ((x1 & x2 & x3) ^ ~x5)) ^ (x1 & x4) ^ (x2 & x5) ^ (x3 & x6),
];

function rotateRight(value: number, bits: number): number {
  return ((value >>> bits) | (value << (32 - bits))) >>> 0;
}

export type HavalPasses = 3 | 4 | 5;
export type HavalBits = 128 | 160 | 192 | 224 | 256;

export class Haval {
  private readonly state = Uint32Array.from(INITIAL_STATE);
  private readonly block = Buffer.alloc(BLOCK_BYTES);
  private readonly words = new Uint32Array(32);
  private buffered = 0;
  /** Message length in bytes; a double is exact up to 2^53, beyond any volume size. */
  private length = 0;
  private finished = false;

  constructor(
    readonly passes: HavalPasses = 3,
    readonly bits: HavalBits = 256,
  ) {}

  update(data: Uint8Array): this {
    if (this.finished) throw new Error('HAVAL digest already finished');
    this.length += data.length;
    let offset = 0;

    if (this.buffered > 0) {
      const take = Math.min(BLOCK_BYTES - this.buffered, data.length);
      this.block.set(data.subarray(0, take), this.buffered);
      this.buffered += take;
      offset = take;
      if (this.buffered < BLOCK_BYTES) return this;
      this.compress(this.block, 0);
      this.buffered = 0;
    }

    for (; offset + BLOCK_BYTES <= data.length; offset += BLOCK_BYTES) this.compress(data, offset);
    this.block.set(data.subarray(offset), 0);
    this.buffered = data.length - offset;
    return this;
  }

  digest(): Buffer {
    if (this.finished) throw new Error('HAVAL digest already finished');

    // The tail: version, passes and output length packed in two bytes, then the message length in bits (64-bit little-endian).
    const tail = Buffer.alloc(TAIL_BYTES);
    tail[0] = ((this.bits & 0x3) << 6) | ((this.passes & 0x7) << 3) | (HAVAL_VERSION & 0x7);
    tail[1] = (this.bits >>> 2) & 0xff;
    tail.writeBigUInt64LE(BigInt(this.length) * 8n, 2);

    const remainder = this.length % BLOCK_BYTES;
    const padLength = remainder < PADDED_REMAINDER ? PADDED_REMAINDER - remainder : PADDED_REMAINDER + BLOCK_BYTES - remainder;
    const padding = Buffer.alloc(padLength);
    padding[0] = 0x01;
    const length = this.length;
    this.update(padding);
    this.update(tail);
    this.length = length;
    this.finished = true;

    this.tailor();
    const out = Buffer.alloc(this.bits / 8);
    for (let i = 0; i < this.bits / 32; i++) out.writeUInt32LE(this.state[i], i * 4);
    return out;
  }

  private compress(data: Uint8Array, offset: number): void {
    const w = this.words;
    for (let i = 0; i < 32; i++) {
      const at = offset + i * 4;
      w[i] = (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
    }

    const t = Array.from(this.state);
    const phi = PHI[this.passes];
    for (let pass = 0; pass < this.passes; pass++) {
      const f = F[pass];
      const order = WORD_ORDER[pass];
      const permutation = phi[pass];
      for (let round = 0; round < 32; round++) {
        // The registers rotate by one each round: x_k is t[(k - round) mod 8].
        const p = permutation;
        const mixed =
          f(
            t[(p[0] - round) & 7],
            t[(p[1] - round) & 7],
            t[(p[2] - round) & 7],
            t[(p[3] - round) & 7],
            t[(p[4] - round) & 7],
            t[(p[5] - round) & 7],
            t[(p[6] - round) & 7],
          ) >>> 0;
        const constant = pass === 0 ? 0 : ROUND_CONSTANTS[(pass - 1) * 32 + round];
        const target = (7 - round) & 7;
        t[target] = (rotateRight(mixed, 7) + rotateRight(t[target], 11) + w[order[round]] + constant) >>> 0;
      }
    }
    for (let i = 0; i < 8; i++) this.state[i] = (this.state[i] + t[i]) >>> 0;
  }

  /** Folds the 256-bit state into the requested output length. */
  private tailor(): void {
    const s = this.state;
    const [, , , , f4, f5, f6, f7] = s;
    const add = (index: number, value: number) => (s[index] = (s[index] + (value >>> 0)) >>> 0);
    switch (this.bits) {
      case 128:
        add(0, rotateRight(((f7 & 0xff) | (f6 & 0xff000000) | (f5 & 0x00ff0000) | (f4 & 0x0000ff00)) >>> 0, 8));
        add(1, rotateRight(((f7 & 0xff00) | (f6 & 0xff) | (f5 & 0xff000000) | (f4 & 0x00ff0000)) >>> 0, 16));
        add(2, rotateRight(((f7 & 0xff0000) | (f6 & 0xff00) | (f5 & 0xff) | (f4 & 0xff000000)) >>> 0, 24));
        add(3, (f7 & 0xff000000) | (f6 & 0xff0000) | (f5 & 0xff00) | (f4 & 0xff));
        break;
      case 160:
        add(0, rotateRight(((f7 & 0x3f) | (f6 & (0x7f << 25)) | (f5 & (0x3f << 19))) >>> 0, 19));
        add(1, rotateRight(((f7 & (0x3f << 6)) | (f6 & 0x3f) | (f5 & (0x7f << 25))) >>> 0, 25));
        add(2, (f7 & (0x7f << 12)) | (f6 & (0x3f << 6)) | (f5 & 0x3f));
        add(3, ((f7 & (0x3f << 19)) | (f6 & (0x7f << 12)) | (f5 & (0x3f << 6))) >>> 6);
        add(4, ((f7 & (0x7f << 25)) | (f6 & (0x3f << 19)) | (f5 & (0x7f << 12))) >>> 12);
        break;
      case 192:
        add(0, rotateRight(((f7 & 0x1f) | (f6 & (0x3f << 26))) >>> 0, 26));
        add(1, (f7 & (0x1f << 5)) | (f6 & 0x1f));
        add(2, ((f7 & (0x3f << 10)) | (f6 & (0x1f << 5))) >>> 5);
        add(3, ((f7 & (0x1f << 16)) | (f6 & (0x3f << 10))) >>> 10);
        add(4, ((f7 & (0x1f << 21)) | (f6 & (0x1f << 16))) >>> 16);
        add(5, ((f7 & (0x3f << 26)) | (f6 & (0x1f << 21))) >>> 21);
        break;
      case 224:
        add(0, (f7 >>> 27) & 0x1f);
        add(1, (f7 >>> 22) & 0x1f);
        add(2, (f7 >>> 18) & 0x0f);
        add(3, (f7 >>> 13) & 0x1f);
        add(4, (f7 >>> 9) & 0x0f);
        add(5, (f7 >>> 4) & 0x1f);
        add(6, f7 & 0x0f);
        break;
      default:
        break;
    }
  }
}
