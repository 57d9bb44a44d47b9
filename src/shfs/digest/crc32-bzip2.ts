// CRC-32/BZIP2: polynomial 0x04C11DB7, most significant bit first (not
// reflected), initial value and final XOR 0xFFFFFFFF; check value
// 0xFC891918 for "123456789". SHFS stores the value least significant byte
// first, so the value 0xDB673512 reads 123567db in a listing.

const POLYNOMIAL = 0x04c11db7;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 24;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ POLYNOMIAL : crc << 1;
    }
    table[byte] = crc >>> 0;
  }
  return table;
})();

export class Crc32Bzip2 {
  private crc = 0xffffffff;

  update(data: Uint8Array): this {
    let crc = this.crc;
    for (let i = 0; i < data.length; i++) {
      crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]) & 0xff]) >>> 0;
    }
    this.crc = crc;
    return this;
  }

  /** Returns the CRC value (after the final XOR). */
  value(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }

  /** Returns the four digest bytes as SHFS stores them: the value, least significant byte first. */
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(this.value(), 0);
    return out;
  }
}
