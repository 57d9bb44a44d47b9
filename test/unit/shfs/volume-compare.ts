// Test helper: compares two SHFS volumes field by field (labels,
// configuration, every used table entry) and then byte for byte. It leaves
// out only what differs between two runs of the tools: uuids, creation
// times, and the bytes the original leaves uninitialised after a link's host name.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseConfigHeader } from '../../../src/shfs/format/config-header';
import { ENTRY_FIELDS, ENTRY_SLOT_SIZE, FLAG_LINK, HOST_TYPE_IPV4, isFreeSlot, parseEntry } from '../../../src/shfs/format/entry';
import { chunkSizeOf, entryLocation, stripeExtents, tableChunks } from '../../../src/shfs/format/geometry';
import { BOOT_AREA_SIZE, COMMON_HEADER_FIELDS, UUID_SIZE, parseLabel, type CommonHeader } from '../../../src/shfs/format/label';

type Range = [start: number, end: number];

/** Byte ranges of each member that may differ, by member index. */
type MaskSet = Map<number, Range[]>;

function addMask(masks: MaskSet, member: number, range: Range): void {
  if (!masks.has(member)) masks.set(member, []);
  masks.get(member)!.push(range);
}

function labelFieldsWithoutIdentity(header: CommonHeader): Record<string, unknown> {
  const { volumeUuid, memberUuid, memberUuids, createdAt, ...rest } = header;
  void volumeUuid;
  void createdAt;
  return { ...rest, memberIndex: memberUuids.findIndex((uuid) => uuid.equals(memberUuid)) };
}

/** Reads the chunk-relative bytes [offset, offset + length) of `chunk` from member images. */
function locate(header: CommonHeader, chunk: number, offset: number): { member: number; position: number } {
  const layout = { stripeMode: header.stripeMode, stripeSize: header.stripeSize, memberCount: header.memberCount };
  const extent = stripeExtents(layout, chunk, 1).find(
    (piece) => offset >= piece.bufferOffset && offset < piece.bufferOffset + piece.length,
  )!;
  return { member: extent.member, position: extent.position + offset - extent.bufferOffset };
}

/**
 * Asserts that the volume in `actualPaths` equals the one in `expectedPaths`
 * (both in member order) apart from uuids, times and uninitialised link bytes.
 */
export function assertSameVolume(actualPaths: string[], expectedPaths: string[]): void {
  const actual = actualPaths.map((file) => fs.readFileSync(file));
  const expected = expectedPaths.map((file) => fs.readFileSync(file));
  assert.equal(actual.length, expected.length, 'member count');
  const masks: MaskSet = new Map();

  // Labels: every field but the identities and the creation time.
  const headers = expected.map((image) => parseLabel(image));
  actual.forEach((image, member) => {
    assert.deepEqual(labelFieldsWithoutIdentity(parseLabel(image)), labelFieldsWithoutIdentity(headers[member]), `label of member ${member}`);
    const base = BOOT_AREA_SIZE;
    const f = COMMON_HEADER_FIELDS;
    addMask(masks, member, [base + f.volumeUuid, base + f.volumeUuid + UUID_SIZE]);
    addMask(masks, member, [base + f.createdAt, base + f.createdAt + 8]);
    addMask(masks, member, [base + f.memberUuid, base + f.memberUuid + UUID_SIZE]);
    addMask(masks, member, [base + f.memberUuids, base + f.memberUuids + UUID_SIZE * headers[member].memberCount]);
  });

  // Configuration header.
  const header = headers[0];
  const chunkSize = chunkSizeOf({ stripeMode: header.stripeMode, stripeSize: header.stripeSize, memberCount: header.memberCount });
  const readSlotBytes = (images: Buffer[], chunk: number, offset: number, length: number) => {
    const { member, position } = locate(header, chunk, offset);
    return images[member].subarray(position, position + length);
  };
  const config = parseConfigHeader(readSlotBytes(expected, 1, 0, 64));
  assert.deepEqual(parseConfigHeader(readSlotBytes(actual, 1, 0, 64)), config, 'configuration header');

  // Every table slot: used or free alike, every field but the creation time.
  const entries = config.bucketCount * config.entriesPerBucket;
  assert.ok(tableChunks(config.bucketCount, config.entriesPerBucket, chunkSize) > 0);
  for (let index = 0; index < entries; index++) {
    const { chunk, offset } = entryLocation(index, chunkSize);
    const expectedSlot = readSlotBytes(expected, config.tableRef + chunk, offset, ENTRY_SLOT_SIZE);
    const actualSlot = readSlotBytes(actual, config.tableRef + chunk, offset, ENTRY_SLOT_SIZE);
    assert.equal(isFreeSlot(actualSlot, config.hashLength), isFreeSlot(expectedSlot, config.hashLength), `slot ${index} used`);
    if (isFreeSlot(expectedSlot, config.hashLength)) continue;

    const { member, position } = locate(header, config.tableRef + chunk, offset);
    addMask(masks, member, [position + ENTRY_FIELDS.createdAt, position + ENTRY_FIELDS.createdAt + 8]);
    const expectedEntry = parseEntry(expectedSlot, config.hashLength);
    const actualEntry = parseEntry(actualSlot, config.hashLength);
    if (expectedSlot[ENTRY_FIELDS.flags] & FLAG_LINK) {
      // The host field contains the name (or address) and then whatever was on the original's stack.
      let hostLength = expectedEntry.link!.host.indexOf(0) + 1;
      if (hostLength === 0) hostLength = 32;
      if (expectedSlot[ENTRY_FIELDS.hostType] === HOST_TYPE_IPV4) hostLength = 4;
      addMask(masks, member, [position + ENTRY_FIELDS.host + hostLength, position + ENTRY_FIELDS.host + 32]);
      for (const entry of [expectedEntry, actualEntry]) entry.link!.host = entry.link!.host.subarray(0, hostLength);
    }
    expectedEntry.createdAt = 0;
    actualEntry.createdAt = 0;
    assert.deepEqual(actualEntry, expectedEntry, `entry in slot ${index}`);
  }

  // Everything else, data chunks included, byte for byte.
  actual.forEach((image, member) => {
    assert.equal(image.length, expected[member].length, `size of member ${member}`);
    const masked = Buffer.from(image);
    for (const [start, end] of masks.get(member) ?? []) expected[member].copy(masked, start, start, end);
    if (!masked.equals(expected[member])) {
      let at = 0;
      while (masked[at] === expected[member][at]) at++;
      assert.fail(`member ${member} differs first at byte ${at} (chunk ${Math.floor(at / chunkSize)})`);
    }
  });
}
