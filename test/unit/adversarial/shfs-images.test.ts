// Damaged SHFS images: labels, configuration headers and hash table entries
// with wrong or absurd values. Mounting must reject them with a message or
// serve what is valid, and shfs-admin must report them instead of crashing,
// hanging or writing part of a volume. Also bad devices and option values
// for the tools.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { main as mkwebfs } from '../../../src/cli/mkwebfs';
import { main as shfsAdmin } from '../../../src/cli/shfs-admin';
import { main as shfsMkfs } from '../../../src/cli/shfs-mkfs';
import { HttpService } from '../../../src/http';
import { setLogSink } from '../../../src/log';
import { ShfsError } from '../../../src/shfs/errors';
import { ENTRY_FIELDS } from '../../../src/shfs/format/entry';
import { entryLocation } from '../../../src/shfs/format/geometry';
import { BOOT_AREA_SIZE, COMMON_HEADER_FIELDS } from '../../../src/shfs/format/label';
import { CONFIG_HEADER_FIELDS } from '../../../src/shfs/format/config-header';
import { mountVolume, type ShfsVolume } from '../../../src/shfs/volume';
import { FIXTURES_DIR } from '../../helpers/fixtures-dir';
import { fetchOnce } from '../../helpers/http-client';
import { runTool } from '../shfs/tool-harness';

/** demo.img: 16 KiB chunks, 511 chunks, the table at chunk 2. */
const DEMO_CHUNK_SIZE = 16384;
const DEMO_VOLUME_CHUNKS = 511;
const INDEX_DIGEST = '1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55';
const LOGO_DIGEST = '02f7292c9e8b4014fd44f273a8086577860bcb4642ebc658b441f9500f3b2908';
const LABEL = BOOT_AREA_SIZE;
const CONFIG = DEMO_CHUNK_SIZE;

type Patch = [offset: number, bytes: Buffer];

function u8(value: number): Buffer {
  return Buffer.from([value]);
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
}

function u64(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(value);
  return bytes;
}

async function mountError(paths: string[]): Promise<ShfsError> {
  try {
    const volume = await mountVolume(paths, { direct: false });
    await volume.unmount();
  } catch (error) {
    assert.ok(error instanceof ShfsError, `expected ShfsError, got ${String(error)}`);
    return error;
  }
  assert.fail(`mounting ${paths.join(' ')} succeeded`);
}

describe('adversarial SHFS images', () => {
  let restoreLogs: (line: string) => void;
  let logs: string[];
  let dir: string;
  let demo: Buffer;
  /** Byte offset of each demo entry's slot, by name. */
  const slots = new Map<string, number>();

  before(async () => {
    logs = [];
    restoreLogs = setLogSink((line) => logs.push(line));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
    demo = gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', 'demo.img.gz')));
    const image = path.join(dir, 'pristine.img');
    fs.writeFileSync(image, demo);
    const volume = await mountVolume([image], { direct: false });
    for (const entry of volume.entries()) {
      const location = entryLocation(entry.slot, volume.chunkSize);
      slots.set(entry.name, (volume.layout.config.tableRef + location.chunk) * volume.chunkSize + location.offset);
    }
    await volume.unmount();
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    setLogSink(restoreLogs);
  });

  beforeEach(() => {
    logs.length = 0;
  });

  let imageCount = 0;
  /** Writes a copy of demo.img with the patches applied and returns its path. */
  function damaged(patches: Patch[], length = demo.length): string {
    const bytes = Buffer.from(demo.subarray(0, length));
    for (const [offset, patch] of patches) patch.copy(bytes, offset);
    const image = path.join(dir, `damaged-${imageCount++}.img`);
    fs.writeFileSync(image, bytes);
    return image;
  }

  function slotField(name: string, field: keyof typeof ENTRY_FIELDS): number {
    return slots.get(name)! + ENTRY_FIELDS[field];
  }

  async function withVolume<T>(image: string, use: (volume: ShfsVolume) => Promise<T>): Promise<T> {
    const volume = await mountVolume([image], { direct: false });
    try {
      return await use(volume);
    } finally {
      await volume.unmount();
    }
  }

  describe('labels', () => {
    const f = COMMON_HEADER_FIELDS;
    const cases: Array<[string, Patch[], string, RegExp]> = [
      ['member count 0', [[LABEL + f.memberCount, u8(0)]], 'EBADCONFIG', /invalid member count 0 in the label \(1 to 16\)/],
      ['member count 17', [[LABEL + f.memberCount, u8(17)]], 'EBADCONFIG', /invalid member count 17/],
      ['member count 255', [[LABEL + f.memberCount, u8(255)]], 'EBADCONFIG', /invalid member count 255/],
      ['member count 2', [[LABEL + f.memberCount, u8(2)]], 'EMEMBER', /member 2 of 2 of volume 'DemoVol' .* is missing/],
      ['stripe size 0', [[LABEL + f.stripeSize, u32(0)]], 'EBADCONFIG', /invalid stripe size 0 in the label/],
      ['stripe size 12288', [[LABEL + f.stripeSize, u32(12288)]], 'EBADCONFIG', /invalid stripe size 12288/],
      ['stripe size 2^31', [[LABEL + f.stripeSize, u32(2 ** 31)]], 'EBADCONFIG', /invalid stripe size 2147483648/],
      ['stripe size 1 MiB', [[LABEL + f.stripeSize, u32(2 ** 20)]], 'ETRUNCATED', /needs \d+ bytes on this member \(truncated image\?\)/],
      ['stripe mode 7', [[LABEL + f.stripeMode, u8(7)]], 'EVERSION', /stripe mode 0x7 is not supported/],
      ['big-endian byte order', [[LABEL + f.byteOrder, u8(1)]], 'EVERSION', /big-endian SHFS volumes are not supported/],
      ['volume size 0', [[LABEL + f.volumeSize, u64(0n)]], 'EBADCONFIG', /invalid volume size 0 chunks/],
      ['volume size 2^60', [[LABEL + f.volumeSize, u64(2n ** 60n)]], 'EBADCONFIG', /invalid volume size Infinity chunks/],
      ['volume size 10^9', [[LABEL + f.volumeSize, u64(10n ** 9n)]], 'ETRUNCATED', /needs 16384000000000 bytes/],
    ];
    for (const [name, patches, code, message] of cases) {
      it(`rejects ${name}`, async () => {
        const error = await mountError([damaged(patches)]);
        assert.equal(error.code, code);
        assert.match(error.message, message);
      });
    }

    it('rejects a label cut in the header', async () => {
      const image = damaged([], 2000);
      const error = await mountError([image]);
      assert.equal(error.code, 'ENOTSHFS');
      assert.equal(error.message, `${image}: not an SHFS volume member (2000 bytes, too small for a label)`);
    });

    it('rejects an image of the label only', async () => {
      const error = await mountError([damaged([], 4096)]);
      assert.equal(error.code, 'ETRUNCATED');
      assert.match(error.message, /4096 bytes, but volume 'DemoVol'/);
    });

    it('reads a volume name without NUL', async () => {
      const image = damaged([[LABEL + COMMON_HEADER_FIELDS.volumeName, Buffer.alloc(16, 0x56)]]);
      const name = await withVolume(image, async (volume) => volume.name);
      assert.equal(name, 'V'.repeat(16));
    });

    it('reads an absurd creation time as the epoch', async () => {
      const image = damaged([[LABEL + COMMON_HEADER_FIELDS.createdAt, u64(2n ** 62n)]]);
      const createdAt = await withVolume(image, async (volume) => volume.createdAt.getTime());
      assert.equal(createdAt, 0);
    });
  });

  describe('members of a striped volume', () => {
    let m0: Buffer;
    let m1: Buffer;

    before(() => {
      m0 = gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', 'm0.img.gz')));
      m1 = gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', 'm1.img.gz')));
    });

    /** Writes m0.img and a copy of m1.img with one label field changed, and returns both paths. */
    function membersWith(offset: number, bytes: Buffer): [string, string] {
      const first = path.join(dir, `m0-${imageCount}.img`);
      const second = path.join(dir, `m1-${imageCount++}.img`);
      fs.writeFileSync(first, m0);
      const changed = Buffer.from(m1);
      bytes.copy(changed, LABEL + offset);
      fs.writeFileSync(second, changed);
      return [first, second];
    }

    const f = COMMON_HEADER_FIELDS;
    const cases: Array<[string, number, Buffer]> = [
      ['stripe mode', f.stripeMode, u8(0)],
      ['stripe size', f.stripeSize, u32(8192)],
      ['member count', f.memberCount, u8(3)],
      ['volume size', f.volumeSize, u64(1000n)],
      ['member list', f.memberUuids, Buffer.alloc(16, 0xab)],
    ];
    for (const [field, offset, bytes] of cases) {
      for (const reversed of [false, true]) {
        it(`rejects a different ${field}${reversed ? ', damaged member first' : ''}`, async () => {
          const members = membersWith(offset, bytes);
          const paths = reversed ? [members[1], members[0]] : members;
          const error = await mountError(paths);
          assert.equal(error.code, 'EMEMBER');
          assert.equal(error.message, `the labels of ${paths[0]} and ${paths[1]} differ in the ${field} of volume 'Striped' (d1fd21b5-06d9-4ca7-8244-2f321f33524e) (damaged label?)`);
        });
      }
    }
  });

  describe('configuration headers', () => {
    const c = CONFIG_HEADER_FIELDS;
    const cases: Array<[string, Patch[], RegExp]> = [
      ['hash function 0', [[CONFIG + c.hashFunction, u8(0)]], /unknown hash function code 0/],
      ['hash function 200', [[CONFIG + c.hashFunction, u8(200)]], /unknown hash function code 200/],
      ['digest length 0', [[CONFIG + c.hashLength, u8(0)]], /invalid digest length 0/],
      ['digest length 65', [[CONFIG + c.hashLength, u8(65)]], /invalid digest length 65/],
      ['bucket count 0', [[CONFIG + c.bucketCount, u32(0)]], /invalid hash table shape \(0 buckets, 8 entries per bucket\)/],
      ['entries per bucket 0', [[CONFIG + c.entriesPerBucket, u32(0)]], /invalid hash table shape \(2048 buckets, 0 entries per bucket\)/],
      ['bucket count 2^32 - 1', [[CONFIG + c.bucketCount, u32(2 ** 32 - 1)]], /the hash table \(\d+ chunks\) does not fit the volume \(511 chunks\)/],
      ['both counts 2^32 - 1', [[CONFIG + c.bucketCount, u32(2 ** 32 - 1)], [CONFIG + c.entriesPerBucket, u32(2 ** 32 - 1)]], /does not fit the volume/],
      ['table in the label chunk', [[CONFIG + c.tableRef, u64(0n)]], /does not fit the volume/],
      ['table in the configuration chunk', [[CONFIG + c.tableRef, u64(1n)]], /does not fit the volume/],
      ['table at the volume end', [[CONFIG + c.tableRef, u64(510n)]], /does not fit the volume/],
      ['table at 2^60', [[CONFIG + c.tableRef, u64(2n ** 60n)]], /does not fit the volume/],
      ['backup table beyond the end', [[CONFIG + c.backupTableRef, u64(500n)]], /does not fit the volume/],
    ];
    for (const [name, patches, message] of cases) {
      it(`rejects ${name}`, async () => {
        const error = await mountError([damaged(patches)]);
        assert.equal(error.code, 'EBADCONFIG');
        assert.match(error.message, message);
      });
    }
  });

  describe('hash table entries', () => {
    const outside: Array<[string, (string: string) => Patch[], RegExp]> = [
      ['a length past the end', (name) => [[slotField(name, 'length'), u64(2n ** 50n)]], /ends beyond the volume's 511 chunks/],
      ['a length of 2^60', (name) => [[slotField(name, 'length'), u64(2n ** 60n)]], /its location \(chunk 258, offset 0, Infinity bytes\) is out of range/],
      ['an offset of 2^60', (name) => [[slotField(name, 'offset'), u64(2n ** 60n)]], /offset Infinity/],
      ['an offset past the end', (name) => [[slotField(name, 'offset'), u64(BigInt(DEMO_VOLUME_CHUNKS * DEMO_CHUNK_SIZE))]], /ends beyond the volume/],
      ['chunk 0', (name) => [[slotField(name, 'chunk'), u64(0n)]], /starts in the label chunk/],
      ['a chunk past the end', (name) => [[slotField(name, 'chunk'), u64(1_000_000n)]], /chunk 1000000, offset 0, 1984 bytes\) ends beyond/],
    ];
    for (const [name, patches, reason] of outside) {
      it(`skips an entry with ${name}`, async () => {
        const image = damaged(patches('index.html'));
        const result = await withVolume(image, async (volume) => ({
          names: volume.entries().map((entry) => entry.name),
          skipped: volume.skippedEntries,
          logo: await volume.read(volume.findByName('logo.png')!, 0, 8),
          defaultName: volume.defaultEntry()?.name,
        }));
        assert.deepEqual(result.names, ['favicon.ico', 'logo.png']);
        assert.equal(result.skipped.length, 1);
        assert.equal(result.skipped[0].name, 'index.html');
        assert.equal(result.skipped[0].digestHex, INDEX_DIGEST);
        assert.match(result.skipped[0].reason, reason);
        assert.deepEqual(result.logo, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        assert.equal(result.defaultName, undefined);
      });
    }

    it('logs skipped entries once', async () => {
      const image = damaged([...outside[0][1]('index.html'), ...outside[4][1]('logo.png')]);
      await withVolume(image, async () => undefined);
      const warnings = logs.filter((line) => / warn /.test(line));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /volume 'DemoVol': 2 damaged entries are not served; the first is '.*' \(\?[0-9a-f]{64}\) in slot \d+: /);
    });

    it('serves the rest of a volume with a damaged entry', async () => {
      const image = damaged(outside[0][1]('index.html'));
      const volume = await mountVolume([image], { direct: false });
      const service = new HttpService({ volume: () => volume, maxConnections: 4, serverName: 'test' });
      const root = await fetchOnce(service, 'GET / HTTP/1.1\r\nHost: cache\r\n\r\n');
      const byDigest = await fetchOnce(service, `GET /?${INDEX_DIGEST} HTTP/1.1\r\nHost: cache\r\n\r\n`);
      const logo = await fetchOnce(service, 'GET /logo.png HTTP/1.1\r\nHost: cache\r\n\r\n');
      await service.close();
      await volume.unmount();
      assert.equal(root.statusCode, 404);
      assert.equal(byDigest.statusCode, 404);
      assert.deepEqual(logo.body, fs.readFileSync(path.join(FIXTURES_DIR, 'demofs', 'logo.png')));
    });

    it('reads an absurd creation time as the epoch', async () => {
      const image = damaged([[slotField('index.html', 'createdAt'), u64(2n ** 60n)]]);
      const createdAt = await withVolume(image, async (volume) => volume.findByName('index.html')!.createdAt.getTime());
      assert.equal(createdAt, 0);
    });

    it('reads a name without NUL', async () => {
      const image = damaged([[slotField('logo.png', 'name'), Buffer.alloc(64, 0x4e)]]);
      const names = await withVolume(image, async (volume) => volume.entries().map((entry) => entry.name));
      assert.deepEqual(names, ['favicon.ico', 'index.html', 'N'.repeat(64)]);
    });

    it('reads a media type without NUL', async () => {
      const image = damaged([[slotField('logo.png', 'mime'), Buffer.alloc(32, 0x6d)]]);
      const mime = await withVolume(image, async (volume) => volume.findByName('logo.png')!.mime);
      assert.equal(mime, 'm'.repeat(32));
    });

    it('sends no media type with CR LF', async () => {
      const image = damaged([[slotField('logo.png', 'mime'), Buffer.from('a\r\nSet-Cookie: x\0')]]);
      const volume = await mountVolume([image], { direct: false });
      const service = new HttpService({ volume: () => volume, maxConnections: 4, serverName: 'test' });
      const response = await fetchOnce(service, 'GET /logo.png HTTP/1.1\r\nHost: cache\r\n\r\n');
      await service.close();
      await volume.unmount();
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      assert.equal(response.headers['set-cookie'], undefined);
    });

    it('serves overlapping containers', async () => {
      const image = damaged([[slotField('logo.png', 'chunk'), u64(258n)]]);
      const bytes = await withVolume(image, async (volume) => {
        const logo = volume.findByName('logo.png')!;
        return volume.read(logo, 0, logo.size);
      });
      const index = fs.readFileSync(path.join(FIXTURES_DIR, 'demofs', 'index.html'));
      assert.equal(bytes.length, 7057);
      assert.deepEqual(bytes.subarray(0, index.length), index);
    });

    it('takes the last of two default flags', async () => {
      const flags = demo[slotField('index.html', 'flags')];
      const image = damaged([[slotField('logo.png', 'flags'), u8(flags)]]);
      const defaults = await withVolume(image, async (volume) => ({
        flagged: volume.entries().filter((entry) => entry.isDefault).map((entry) => entry.name),
        chosen: volume.defaultEntry()?.name,
      }));
      assert.deepEqual(defaults.flagged, ['index.html', 'logo.png']);
      assert.equal(defaults.chosen, 'logo.png');
    });

    it('reads odd link fields', async () => {
      const slot = slotField('favicon.ico', 'digest');
      const linkFlags = u8(0x04);
      const image = damaged([
        [slot + ENTRY_FIELDS.flags, linkFlags],
        [slot + ENTRY_FIELDS.hostType, u8(9)],
        [slot + ENTRY_FIELDS.host, Buffer.alloc(32, 0x68)],
        [slot + ENTRY_FIELDS.port, Buffer.from([0, 0])],
        [slot + ENTRY_FIELDS.path, Buffer.alloc(71, 0x70)],
        [slot + ENTRY_FIELDS.linkType, u8(200)],
      ]);
      const link = await withVolume(image, async (volume) => volume.findByName('favicon.ico')!.link);
      assert.deepEqual(link, { type: 'redirect', host: 'h'.repeat(32), hostType: 'name', port: 0, path: 'p'.repeat(71) });
    });
  });

  describe('shfs-admin on damaged images', () => {
    const pastTheEnd = (): Patch[] => [[slotField('index.html', 'length'), u64(2n ** 50n)]];

    it('lists a damaged entry', async () => {
      const result = await runTool(shfsAdmin, ['-l', damaged(pastTheEnd())]);
      const line = result.stdout.toString().split('\n').find((row) => row.startsWith(INDEX_DIGEST));
      assert.equal(result.status, 0);
      assert.match(line ?? '', new RegExp(`^${INDEX_DIGEST} +258 +68719476736 `));
    });

    it('writes nothing for a damaged entry', async () => {
      const result = await runTool(shfsAdmin, ['-c', INDEX_DIGEST, damaged(pastTheEnd())]);
      assert.equal(result.status, 1);
      assert.equal(result.stdout.length, 0);
      assert.equal(result.stderr, `shfs-admin: cannot read 'index.html' (${INDEX_DIGEST}): its container (chunk 258, offset 0, 1125899906842624 bytes) ends beyond the volume's 511 chunks\n`);
    });

    it('removes a damaged entry', async () => {
      const image = damaged(pastTheEnd());
      const result = await runTool(shfsAdmin, ['-r', INDEX_DIGEST, image]);
      const names = await withVolume(image, async (volume) => ({ kept: volume.entries().map((entry) => entry.name), skipped: volume.skippedEntries.length }));
      assert.equal(result.status, 0);
      assert.deepEqual(names, { kept: ['favicon.ico', 'logo.png'], skipped: 0 });
    });

    it('cats an intact object of a damaged volume', async () => {
      const result = await runTool(shfsAdmin, ['-c', LOGO_DIGEST, damaged(pastTheEnd())]);
      assert.equal(result.status, 0);
      assert.deepEqual(result.stdout, fs.readFileSync(path.join(FIXTURES_DIR, 'demofs', 'logo.png')));
    });

    it('warns about a name cut short', async () => {
      const image = damaged([]);
      const notes = path.join(FIXTURES_DIR, 'content', 'notes.txt');
      const result = await runTool(shfsAdmin, ['-a', notes, '-n', 'n'.repeat(70), '-m', 'm'.repeat(40), image]);
      const names = await withVolume(image, async (volume) => volume.entries().map((entry) => entry.name));
      assert.equal(result.status, 0);
      assert.equal(
        result.stderr,
        `shfs-admin: warning: media type longer than 32 bytes is stored cut short: ${'m'.repeat(40)}\n` +
          `shfs-admin: warning: name longer than 64 bytes is stored cut short: ${'n'.repeat(70)}\n`,
      );
      assert.ok(names.includes('n'.repeat(64)), names.join(', '));
    });

    it('rejects a link path over 71 bytes of UTF-8', async () => {
      const image = damaged([]);
      const url = `http://origin.example/${'é'.repeat(40)}`;
      const result = await runTool(shfsAdmin, ['-u', url, image]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `shfs-admin: path in URL is longer than the 71 bytes SHFS stores: ${url}\n`);
      assert.deepEqual(fs.readFileSync(image), demo);
    });

    it('rejects a damaged configuration', async () => {
      const result = await runTool(shfsAdmin, ['-l', damaged([[CONFIG + CONFIG_HEADER_FIELDS.hashLength, u8(0)]])]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^shfs-admin: .*: invalid digest length 0 in the configuration header\n$/);
    });
  });

  describe('bad sources and devices for the tools', () => {
    let fifo: string;

    before(() => {
      fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
    });

    it('rejects a FIFO as object without waiting for a writer', async () => {
      const image = damaged([]);
      const result = await runTool(shfsAdmin, ['-a', fifo, image]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `shfs-admin: ${fifo} is not a regular file\n`);
      assert.deepEqual(fs.readFileSync(image), demo);
    });

    it('rejects /dev/null as object', async () => {
      const result = await runTool(shfsAdmin, ['-a', '/dev/null', damaged([])]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, 'shfs-admin: /dev/null is not a regular file\n');
    });

    for (const device of ['/dev/null', 'FIFO', 'folder']) {
      it(`rejects ${device} as volume member`, async () => {
        let target = device;
        if (device === 'FIFO') target = fifo;
        if (device === 'folder') target = dir;
        const result = await runTool(shfsAdmin, ['-l', target]);
        assert.equal(result.status, 1);
        assert.equal(result.stderr, `shfs-admin: ${target} is neither a regular file nor a block device\n`);
      });
    }

    it('rejects a FIFO to format', async () => {
      const result = await runTool(shfsMkfs, ['-f', fifo]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `shfs-mkfs: ${fifo} is neither a regular file nor a block device\n`);
    });

    const mkfsOptions: Array<[string[], string]> = [
      [['-s', '99999999999999999999'], "option '-s' needs a whole number, got '99999999999999999999'; see 'shfs-mkfs --help'"],
      [['-s', '4097'], 'invalid stripe size 4097: it must be a power of two from 4096 to 32768'],
      [['-s', '65536'], 'invalid stripe size 65536: it must be a power of two from 4096 to 32768'],
      [['-b', '4294967296'], '4294967296 buckets of 8 entries make a hash table larger than 4294967295 entries'],
      [['-e', '-1'], "option '-e' needs a whole number, got '-1'; see 'shfs-mkfs --help'"],
      [['-l', '65', '-F', 'manual'], 'invalid digest length 65 for Manual: it supports 1 to 64 bytes'],
      [['-F', 'sha3'], "unknown hash function 'sha3' (use manual, sha, crc, md5, haval)"],
    ];
    for (const [options, message] of mkfsOptions) {
      it(`rejects shfs-mkfs ${options.join(' ')}`, async () => {
        const image = damaged([]);
        const result = await runTool(shfsMkfs, ['-f', ...options, image]);
        assert.equal(result.status, 1);
        assert.equal(result.stderr, `shfs-mkfs: ${message}\n`);
        assert.deepEqual(fs.readFileSync(image), demo);
      });
    }

    it('rejects a table too large for the device', async () => {
      const image = damaged([]);
      const result = await runTool(shfsMkfs, ['-f', '-b', '4294967295', '-e', '1', image]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /too small for the volume metadata: 67108866 chunks of 16384 bytes needed, 511 available/);
      assert.deepEqual(fs.readFileSync(image), demo);
    });

    it('rejects a FIFO as mkwebfs image', async () => {
      const site = path.join(dir, 'site');
      fs.mkdirSync(site, { recursive: true });
      fs.writeFileSync(path.join(site, 'index.html'), '<p>hi</p>');
      const result = await runTool(mkwebfs, ['-f', site, fifo]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `mkwebfs: ${fifo} exists and is not a block device; use --force to overwrite it\n`);
    });

    it('skips a FIFO inside the mkwebfs folder', async () => {
      const site = path.join(dir, 'site-with-fifo');
      fs.mkdirSync(site, { recursive: true });
      fs.writeFileSync(path.join(site, 'index.html'), '<p>hi</p>');
      execFileSync('mkfifo', [path.join(site, 'pipe')]);
      const image = path.join(dir, 'site.img');
      const result = await runTool(mkwebfs, [site, image]);
      assert.equal(result.status, 0);
      assert.equal(result.stdout.toString(), `${image}: 1 entry, 9 B, default object index.html\n`);
    });

    it('rejects mkwebfs -S with junk', async () => {
      const result = await runTool(mkwebfs, ['-S', '12Q', dir, path.join(dir, 'x.img')]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, "mkwebfs: option '-S' needs a size in bytes (e.g. 64M), got '12Q'; see 'mkwebfs --help'\n");
    });
  });
});
