#!/usr/bin/env node
// Draws the raster images of the demo site and writes them to demo/site/:
// chunks.png, a picture of a volume's chunks being served, and favicon.ico,
// an ICO file that contains one 32x32 PNG. Only node:zlib and node:fs are used,
// so the output is the same on every run. Usage: node demo/make-images.js
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const SITE_DIR = path.join(__dirname, 'site');

// PNG (ISO/IEC 15948): signature, then chunks of length, type, data, CRC-32.
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE_RGBA = 6;
const BIT_DEPTH = 8;
const FILTER_NONE = 0;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** Encodes an RGBA image; `pixel(x, y)` returns [r, g, b, a]. */
function encodePng(width, height, pixel) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = BIT_DEPTH;
  header[9] = COLOR_TYPE_RGBA;
  // Bytes 10..12: deflate compression, adaptive filtering, no interlace (all 0).

  const rowBytes = 1 + width * 4;
  const raw = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    raw[y * rowBytes] = FILTER_NONE;
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = pixel(x, y);
      const offset = y * rowBytes + 1 + x * 4;
      raw[offset] = r;
      raw[offset + 1] = g;
      raw[offset + 2] = b;
      raw[offset + 3] = a;
    }
  }

  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function mix(a, b, t) {
  return a.map((value, i) => Math.round(value + (b[i] - value) * t));
}

const NAVY = [22, 39, 66];
const TEAL = [32, 148, 150];
const AMBER = [240, 170, 60];
const PAPER = [247, 244, 236];

/**
 * chunks.png: a row of volume chunks on the left, an arrow, and the packets
 * they become on the right, over a dark gradient.
 */
function drawChunks() {
  const width = 480;
  const height = 160;
  const cell = 18;
  const gap = 4;
  const gridLeft = 24;
  const gridTop = 26;
  const columns = 8;
  const rows = 5;

  return encodePng(width, height, (x, y) => {
    let color = mix(NAVY, [12, 20, 36], y / height);

    // The volume: chunks in a grid; some are "in the cache" (teal), one is being read (amber).
    const gx = x - gridLeft;
    const gy = y - gridTop;
    const column = Math.floor(gx / (cell + gap));
    const row = Math.floor(gy / (cell + gap));
    if (gx >= 0 && gy >= 0 && column < columns && row < rows && gx % (cell + gap) < cell && gy % (cell + gap) < cell) {
      const index = row * columns + column;
      if (index === 19) color = AMBER;
      else if ((index * 7) % 5 < 2) color = TEAL;
      else color = mix(PAPER, NAVY, 0.55);
    }

    // The arrow from the volume to the network.
    const arrowY = height / 2;
    if (x >= 226 && x < 290 && Math.abs(y - arrowY) <= 2) color = PAPER;
    if (x >= 290 && x < 306 && Math.abs(y - arrowY) <= (306 - x) * 0.6) color = PAPER;

    // Packets on the wire: rounded bars that fade out to the right.
    for (let lane = 0; lane < 4; lane++) {
      const laneY = 38 + lane * 26;
      const start = 322 + ((lane * 37) % 30);
      for (let packet = 0; packet < 3; packet++) {
        const left = start + packet * 48;
        const inside = x >= left && x < left + 36 && y >= laneY && y < laneY + 12;
        const corner = (x - left < 2 || left + 35 - x < 2) && (y - laneY < 2 || laneY + 11 - y < 2);
        if (inside && !corner) color = mix(lane % 2 === 0 ? TEAL : AMBER, NAVY, packet * 0.3);
      }
    }
    return [...color, 255];
  });
}

/** favicon.png: a 32x32 rounded teal tile with a light "M". */
function drawFavicon() {
  const size = 32;
  const radius = 6;
  return encodePng(size, size, (x, y) => {
    const cx = Math.min(Math.max(x, radius), size - 1 - radius);
    const cy = Math.min(Math.max(y, radius), size - 1 - radius);
    const outside = (x - cx) ** 2 + (y - cy) ** 2 > radius * radius;
    if (outside) return [0, 0, 0, 0];

    // The "M": two posts and two diagonals meeting in the middle.
    const inBand = y >= 8 && y <= 24;
    const leftPost = x >= 7 && x <= 10;
    const rightPost = x >= 21 && x <= 24;
    const leftDiagonal = Math.abs(x - 9 - (y - 8) * 0.55) <= 1.6 && y <= 18;
    const rightDiagonal = Math.abs(22 - x - (y - 8) * 0.55) <= 1.6 && y <= 18;
    if (inBand && (leftPost || rightPost || leftDiagonal || rightDiagonal)) return [...PAPER, 255];
    return [...mix(TEAL, NAVY, y / 48), 255];
  });
}

// ICO: ICONDIR (reserved 0, type 1, count), one ICONDIRENTRY, then the image data.
// Since Windows Vista an entry may hold a complete PNG file instead of a bitmap.
function encodeIco(png, size) {
  const directory = Buffer.alloc(6);
  directory.writeUInt16LE(0, 0);
  directory.writeUInt16LE(1, 2);
  directory.writeUInt16LE(1, 4);

  const entry = Buffer.alloc(16);
  entry[0] = size; // width (0 would mean 256)
  entry[1] = size; // height
  entry[2] = 0; // no palette
  entry[3] = 0; // reserved
  entry.writeUInt16LE(1, 4); // color planes
  entry.writeUInt16LE(32, 6); // bits per pixel
  entry.writeUInt32LE(png.length, 8);
  entry.writeUInt32LE(directory.length + entry.length, 12);
  return Buffer.concat([directory, entry, png]);
}

function main() {
  fs.mkdirSync(SITE_DIR, { recursive: true });
  const outputs = [
    ['chunks.png', drawChunks()],
    ['favicon.ico', encodeIco(drawFavicon(), 32)],
  ];
  for (const [name, bytes] of outputs) {
    fs.writeFileSync(path.join(SITE_DIR, name), bytes);
    process.stdout.write(`wrote ${path.join('demo', 'site', name)} (${bytes.length} bytes)\n`);
  }
}

main();
