import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { emitConfigChunk, parseConfigHeader } from '../../../src/shfs/format/config-header';
import { ENTRY_FIELDS, FLAG_DEFAULT, isFreeSlot, parseEntry } from '../../../src/shfs/format/entry';
import {
  bucketOf,
  chunkSizeOf,
  coalesceExtents,
  entryLocation,
  metadataChunks,
  requiredMemberBytes,
  stripeExtents,
  tableChunks,
  volumeSizeFor,
} from '../../../src/shfs/format/geometry';
import { COMMON_HEADER_FIELDS, LABEL_SIZE, emitLabel, formatUuid, parseLabel } from '../../../src/shfs/format/label';
import { extractImage, makeTempDir, removeTempDir } from './fixture-images';

const INDEPENDENT = { stripeMode: 0, stripeSize: 4096, memberCount: 3 };
const COMBINED = { stripeMode: 1, stripeSize: 4096, memberCount: 2 };

describe('shfs format', () => {
  let dir: string;
  let demo: Buffer;
  let m1: Buffer;

  before(() => {
    dir = makeTempDir();
    demo = fs.readFileSync(extractImage(dir, 'demo'));
    m1 = fs.readFileSync(extractImage(dir, 'm1'));
  });

  after(() => removeTempDir(dir));

  describe('label', () => {
    it('parses demo.img', () => {
      const header = parseLabel(demo);
      assert.deepEqual(header.magic, Buffer.from('SHFS'));
      assert.equal(header.versionMajor, 2);
      assert.equal(header.versionMinor, 1);
      assert.equal(header.volumeName.toString(), 'DemoVol');
      assert.equal(header.volumeSize, 511);
      assert.equal(header.createdAt, 1796412851);
      assert.equal(header.stripeMode, 0);
      assert.equal(header.stripeSize, 16384);
      assert.equal(header.memberCount, 1);
      assert.equal(formatUuid(header.volumeUuid), '080d5553-62d8-4f7f-a184-3d439cb48e96');
      assert.deepEqual(header.memberUuids, [header.memberUuid]);
    });

    it('parses the second member of m0/m1', () => {
      const header = parseLabel(m1);
      assert.equal(header.stripeMode, 1);
      assert.equal(header.memberCount, 2);
      assert.deepEqual(header.memberUuid, header.memberUuids[1]);
    });

    it('emits the bytes it parsed', () => {
      assert.deepEqual(emitLabel(parseLabel(demo)), demo.subarray(0, LABEL_SIZE));
      assert.deepEqual(emitLabel(parseLabel(m1)), m1.subarray(0, LABEL_SIZE));
    });

    it('places fields at their offsets', () => {
      const header = parseLabel(demo);
      header.volumeSize = 0x0102030405;
      header.stripeSize = 32768;
      const label = emitLabel(header);
      assert.equal(label.readUInt32LE(1024 + COMMON_HEADER_FIELDS.volumeSize), 0x02030405);
      assert.equal(label[1024 + COMMON_HEADER_FIELDS.volumeSize + 4], 0x01);
      assert.equal(label.readUInt32LE(1024 + 57), 32768);
    });

    it('truncates the volume name to 16 bytes', () => {
      const header = parseLabel(demo);
      header.volumeName = Buffer.from('a-name-longer-than-sixteen');
      const label = emitLabel(header);
      assert.deepEqual(label.subarray(1024 + 22, 1024 + 38), Buffer.from('a-name-longer-th'));
      assert.equal(label[1024 + 38], 0);
      assert.equal(parseLabel(label).volumeName.toString(), 'a-name-longer-th');
    });
  });

  describe('configuration header', () => {
    it('parses demo.img', () => {
      assert.deepEqual(parseConfigHeader(demo.subarray(16384)), {
        tableRef: 2,
        backupTableRef: 0,
        hashFunction: 2,
        hashLength: 32,
        bucketCount: 2048,
        entriesPerBucket: 8,
        allocator: 0,
      });
    });

    it('emits a whole chunk', () => {
      const config = parseConfigHeader(demo.subarray(16384));
      assert.deepEqual(emitConfigChunk(config, 16384), demo.subarray(16384, 32768));
    });
  });

  describe('entry', () => {
    it('finds index.html where the format says', () => {
      const digest = Buffer.from('1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55', 'hex');
      assert.equal(bucketOf(digest, 32, 2048), 798);
      const index = 798 * 8;
      assert.equal(index, 6384);
      assert.deepEqual(entryLocation(index, 16384), { chunk: 99, offset: 12288 });
      const slotAt = (2 + 99) * 16384 + 12288;
      const entry = parseEntry(demo.subarray(slotAt, slotAt + 256), 32);
      assert.deepEqual(entry.digest, digest);
      assert.equal(entry.name.toString(), 'index.html');
      assert.equal(entry.flags, FLAG_DEFAULT);
      assert.deepEqual(entry.object, { chunk: 258, offset: 0, length: 1984, mime: Buffer.from('text/html'), encoding: Buffer.alloc(0) });
    });

    it('tells free slots by their digest', () => {
      const slot = Buffer.alloc(256);
      slot[ENTRY_FIELDS.name] = 0x41;
      assert.equal(isFreeSlot(slot, 20), true);
      slot[19] = 1;
      assert.equal(isFreeSlot(slot, 20), false);
      assert.equal(isFreeSlot(slot, 16), true);
    });

    it('picks buckets from the first four bytes', () => {
      assert.equal(bucketOf(Buffer.from([0x12, 0x35, 0x67, 0xdb]), 4, 32), 18);
      assert.equal(bucketOf(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]), 5, 1000), 0xffffffff % 1000);
      assert.equal(bucketOf(Buffer.from([0x07]), 1, 5), 2);
      assert.equal(bucketOf(Buffer.from([0x01, 0x02]), 2, 1000), 0x0201 % 1000);
      assert.equal(bucketOf(Buffer.from([0x01, 0x02, 0x03, 0xff]), 3, 100000), 0x030201 % 100000);
    });
  });

  describe('geometry', () => {
    it('computes chunk sizes', () => {
      assert.equal(chunkSizeOf(INDEPENDENT), 4096);
      assert.equal(chunkSizeOf(COMBINED), 8192);
    });

    it('computes volume sizes as mkfs does', () => {
      assert.equal(volumeSizeFor({ stripeMode: 0, stripeSize: 16384, memberCount: 1 }, 8 << 20), 511);
      assert.equal(volumeSizeFor({ stripeMode: 1, stripeSize: 4096, memberCount: 2 }, 4 << 20), 1023);
      assert.equal(volumeSizeFor({ stripeMode: 0, stripeSize: 4096, memberCount: 3 }, 4 << 20), 1023 * 3);
      assert.equal(volumeSizeFor({ stripeMode: 0, stripeSize: 16384, memberCount: 1 }, 1000), 0);
    });

    it('sizes the table and the metadata', () => {
      assert.equal(tableChunks(2048, 8, 16384), 256);
      assert.equal(tableChunks(64, 4, 4096), 16);
      assert.equal(tableChunks(3, 5, 4096), 1);
      assert.equal(metadataChunks(256, false), 258);
      assert.equal(metadataChunks(16, true), 34);
    });

    it('maps combined chunks to every member', () => {
      assert.deepEqual(stripeExtents(COMBINED, 5, 2), [
        { member: 0, position: 20480, length: 4096, bufferOffset: 0 },
        { member: 1, position: 20480, length: 4096, bufferOffset: 4096 },
        { member: 0, position: 24576, length: 4096, bufferOffset: 8192 },
        { member: 1, position: 24576, length: 4096, bufferOffset: 12288 },
      ]);
    });

    it('maps independent chunks round robin', () => {
      // Chunk c is stripe c + 2: member (c + 2) mod 3 at floor((c + 2) / 3) stripes.
      assert.deepEqual(
        stripeExtents(INDEPENDENT, 1, 4).map((extent) => [extent.member, extent.position]),
        [
          [0, 4096],
          [1, 4096],
          [2, 4096],
          [0, 8192],
        ],
      );
    });

    it('maps a single member contiguously', () => {
      const single = { stripeMode: 0, stripeSize: 16384, memberCount: 1 };
      assert.deepEqual(coalesceExtents(stripeExtents(single, 258, 3)), [
        { member: 0, position: 258 * 16384, length: 3 * 16384, bufferOffset: 0 },
      ]);
    });

    it('computes the bytes each member needs', () => {
      assert.deepEqual(requiredMemberBytes({ stripeMode: 0, stripeSize: 16384, memberCount: 1 }, 511), [511 * 16384]);
      assert.deepEqual(requiredMemberBytes(COMBINED, 1023), [1023 * 4096, 1023 * 4096]);
      assert.deepEqual(requiredMemberBytes(INDEPENDENT, 6), [3 * 4096, 3 * 4096, 2 * 4096]);
      assert.deepEqual(requiredMemberBytes(INDEPENDENT, 5), [3 * 4096, 2 * 4096, 2 * 4096]);
    });
  });
});
