import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main as mkfs } from '../../../src/cli/shfs-mkfs';
import { parseConfigHeader } from '../../../src/shfs/format/config-header';
import { parseLabel } from '../../../src/shfs/format/label';
import { mountVolume } from '../../../src/shfs/volume';
import { makeTempDir, removeTempDir } from '../shfs/fixture-images';
import { runTool, terminalInput } from '../shfs/tool-harness';

const MIB = 1024 * 1024;

function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('shfs-mkfs', () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(() => removeTempDir(dir));

  function image(name: string, bytes: number, fill = 0): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.alloc(bytes, fill));
    return file;
  }

  async function expectRejected(argv: string[], images: string[], message: RegExp): Promise<void> {
    const before = images.map(fileHash);
    const result = await runTool(mkfs, [...argv, ...images]);
    assert.equal(result.status, 1, `status (stderr: ${result.stderr})`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.deepEqual(images.map(fileHash), before, 'device bytes changed');
  }

  it('formats with the defaults', async () => {
    const file = image('default.img', 8 * MIB);
    const result = await runTool(mkfs, ['-f', file]);
    assert.equal(result.status, 0, result.stderr);

    const data = fs.readFileSync(file);
    const header = parseLabel(data);
    assert.equal(header.volumeName.toString(), 'unnamed');
    assert.equal(header.stripeSize, 16384);
    assert.equal(header.stripeMode, 0);
    assert.equal(header.volumeSize, 511);
    assert.ok(Math.abs(header.createdAt - Date.now() / 1000) < 60);
    assert.deepEqual(parseConfigHeader(data.subarray(16384)), {
      tableRef: 2,
      backupTableRef: 0,
      hashFunction: 2,
      hashLength: 32,
      bucketCount: 2048,
      entriesPerBucket: 8,
      allocator: 0,
    });
  });

  it('prints the summary and the steps', async () => {
    const file = image('summary.img', 8 * MIB);
    const result = await runTool(mkfs, ['-f', '-n', 'Web', file]);
    const text = result.stdout.toString();
    assert.match(text, /^SHFS version:       2\.01\nVolume name:        Web\n/);
    assert.match(text, /Metadata total:     258 chunks\nAvailable space:    253 chunks\n/);
    assert.match(
      text,
      /\nErasing common header area of member 1\/1\.\.\.\nErasing hash table area\.\.\.\nWriting config header\.\.\.\nWriting common header area to member 1\/1\.\.\.\n$/,
    );
  });

  it('zeroes an old table', async () => {
    const file = image('dirty.img', 4 * MIB, 0xa5);
    const result = await runTool(mkfs, ['-f', '-s', '4096', '-b', '64', '-e', '4', file]);
    assert.equal(result.status, 0, result.stderr);
    const volume = await mountVolume([file]);
    assert.equal(volume.entries().length, 0);
    await volume.unmount();
    // Data chunks keep their old bytes without -x.
    assert.equal(fs.readFileSync(file)[100 * 4096], 0xa5);
  });

  it('erases the data area with -x', async () => {
    const file = image('erase.img', 4 * MIB, 0xa5);
    const result = await runTool(mkfs, ['-f', '-x', '-s', '4096', '-b', '64', '-e', '4', file]);
    assert.equal(result.status, 0, result.stderr);
    const data = fs.readFileSync(file);
    assert.equal(data.subarray(2 * 4096, 1023 * 4096).every((byte) => byte === 0), true);
    assert.match(result.stdout.toString(), /Erasing volume area\.\.\./);
  });

  it('falls back to independent striping with one member', async () => {
    const file = image('one.img', 4 * MIB);
    assert.equal((await runTool(mkfs, ['-f', '-c', '-s', '4096', '-b', '64', file])).status, 0);
    assert.equal(parseLabel(fs.readFileSync(file)).stripeMode, 0);
  });

  it('formats three independent members', async () => {
    const files = ['a.img', 'b.img', 'c.img'].map((name) => image(name, 2 * MIB));
    assert.equal((await runTool(mkfs, ['-f', '-s', '4096', '-b', '16', '-e', '4', ...files])).status, 0);
    const volume = await mountVolume([files[2], files[0], files[1]]);
    assert.equal(volume.members.length, 3);
    assert.equal(volume.volumeSize, 511 * 3);
    await volume.unmount();
  });

  it('asks before writing on a terminal', async () => {
    const file = image('ask.img', 8 * MIB);
    const result = await runTool(mkfs, [file], terminalInput('y'));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.toString(), /Continue\? \[yN\] /);
    assert.deepEqual(parseLabel(fs.readFileSync(file)).magic, Buffer.from('SHFS'));
  });

  it('aborts on a negative answer', async () => {
    const file = image('no.img', 8 * MIB);
    const result = await runTool(mkfs, [file], terminalInput('n'));
    assert.equal(result.status, 1);
    assert.match(result.stdout.toString(), /Aborted\n$/);
    assert.equal(fs.readFileSync(file).every((byte) => byte === 0), true);
  });

  it('accepts long options', async () => {
    const file = image('long.img', 4 * MIB);
    const result = await runTool(mkfs, [
      '--force',
      '--name=Long',
      '--stripesize',
      '8192',
      '--bucket-count=32',
      '--entries-per-bucket=2',
      '--hash-function=haval',
      '--hash-length=20',
      file,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const data = fs.readFileSync(file);
    assert.equal(parseLabel(data).volumeName.toString(), 'Long');
    assert.deepEqual(parseConfigHeader(data.subarray(8192)), {
      tableRef: 2,
      backupTableRef: 0,
      hashFunction: 5,
      hashLength: 20,
      bucketCount: 32,
      entriesPerBucket: 2,
      allocator: 0,
    });
  });

  describe('bad input', () => {
    it('refuses without -f when stdin is no terminal', async () => {
      const file = image('pipe.img', 8 * MIB);
      await expectRejected([], [file], /not formatting: confirmation needs a terminal on standard input; use -f/);
    });

    it('rejects an invalid stripe size', async () => {
      await expectRejected(['-f', '-s', '5000'], [image('s.img', 4 * MIB)], /invalid stripe size 5000: it must be a power of two from 4096 to 32768/);
      await expectRejected(['-f', '-s', '65536'], [image('s2.img', 4 * MIB)], /invalid stripe size 65536/);
    });

    it('rejects a digest length the function lacks', async () => {
      await expectRejected(['-f', '-F', 'sha', '-l', '16'], [image('l.img', 4 * MIB)], /invalid digest length 16 for SHA: it supports 20, 28, 32, 48, 64 bytes/);
      await expectRejected(['-f', '-F', 'crc', '-l', '8'], [image('l2.img', 4 * MIB)], /invalid digest length 8 for CRC/);
      await expectRejected(['-f', '-F', 'manual', '-l', '65'], [image('l3.img', 4 * MIB)], /invalid digest length 65 for Manual: it supports 1 to 64 bytes/);
    });

    it('rejects an unknown hash function', async () => {
      await expectRejected(['-f', '-F', 'sha3'], [image('f.img', 4 * MIB)], /unknown hash function 'sha3' \(use manual, sha, crc, md5, haval\)/);
    });

    it('rejects a zero bucket count', async () => {
      await expectRejected(['-f', '-b', '0'], [image('b.img', 4 * MIB)], /invalid bucket count 0: at least 1/);
    });

    it('rejects a non-numeric count', async () => {
      await expectRejected(['-f', '-e', 'many'], [image('e.img', 4 * MIB)], /option '-e' needs a whole number, got 'many'/);
    });

    it('rejects a device too small for the metadata', async () => {
      // 2048 buckets of 8 entries need 258 chunks of 16 KiB.
      await expectRejected(['-f'], [image('small.img', 2 * MIB)], /small\.img: too small for the volume metadata: 258 chunks of 16384 bytes needed, 127 available/);
    });

    it('rejects a device given twice', async () => {
      const file = image('twice.img', 4 * MIB);
      await expectRejected(['-f', '-c'], [file, file], /twice\.img is the same device as .*twice\.img \(given twice\)/);
    });

    it('rejects more than 16 devices', async () => {
      const files = Array.from({ length: 17 }, (_, index) => image(`m${index}.img`, 64 * 1024));
      await expectRejected(['-f'], files, /17 devices given, but a volume has at most 16 members/);
    });

    it('rejects a missing device', async () => {
      const result = await runTool(mkfs, ['-f', path.join(dir, 'absent.img')]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^shfs-mkfs: cannot open .*absent\.img: No such file or directory\n$/);
    });

    it('rejects no device', async () => {
      const result = await runTool(mkfs, ['-f']);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, "shfs-mkfs: no device given; see 'shfs-mkfs --help'\n");
    });

    it('leaves no label when interrupted', async () => {
      const file = image('cancel.img', 8 * MIB);
      const controller = new AbortController();
      controller.abort();
      const result = await runTool(mkfs, ['-f', file], { signal: controller.signal });
      assert.equal(result.status, 130);
      assert.match(result.stderr, /formatting interrupted; the devices carry no SHFS label now/);
      assert.equal(fs.readFileSync(file).every((byte) => byte === 0), true);
    });
  });
});
