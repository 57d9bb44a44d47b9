import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main as admin } from '../../../src/cli/shfs-admin';
import { mountVolume } from '../../../src/shfs/volume';
import { extractImage, makeTempDir, removeTempDir, sourceFile } from '../shfs/fixture-images';
import { runTool } from '../shfs/tool-harness';

const BIG_BIN = '7049eed59f5f58acc76bbaa7825589e0bc375366';
const EXACT16K = 'b1a734b24a65e9f47268f98e691bbcf0f01bcfce';
const INDEX_SHA256 = '1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55';

function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Listing lines by entry name: [digest, location, size in chunks, flags]. */
async function listing(images: string[]): Promise<Map<string, string[]>> {
  const result = await runTool(admin, ['-l', ...images]);
  assert.equal(result.status, 0, result.stderr);
  const rows = new Map<string, string[]>();
  for (const line of result.stdout.toString().trimEnd().split('\n').slice(1)) {
    const name = line.slice(line.lastIndexOf(':') + 4);
    const fields = line.split(/\s+/);
    rows.set(name, line.includes(' L') && fields[1].startsWith('L') ? [fields[0], '', '', fields[1]] : fields.slice(0, 4));
  }
  return rows;
}

describe('shfs-admin', () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(() => removeTempDir(dir));

  /** Runs a failing command and checks the message, the status and that the image did not change. */
  async function expectRejected(argv: string[], images: string[], message: RegExp, status = 1): Promise<void> {
    const before = images.map(fileHash);
    const result = await runTool(admin, [...argv, ...images]);
    assert.equal(result.status, status, `status (stderr: ${result.stderr})`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.deepEqual(images.map(fileHash), before, 'volume bytes changed');
  }

  describe('reuse of freed space', () => {
    it('places a new object where a removed one was', async () => {
      const image = extractImage(dir, 'mixed');
      const file = path.join(dir, 'ten-k.bin');
      fs.writeFileSync(file, randomBytes(10000));

      const removed = await runTool(admin, ['-r', BIG_BIN, image]);
      assert.equal(removed.status, 0, removed.stderr);
      assert.equal((await listing([image])).has('big.bin'), false);

      const added = await runTool(admin, ['-a', file, '-a', sourceFile('index.html'), image]);
      assert.equal(added.status, 0, added.stderr);
      const rows = await listing([image]);
      // First fit: chunks 18.. were freed by big.bin; 10000 bytes take 3 chunks, index.html the next one.
      assert.deepEqual(rows.get('ten-k.bin')?.slice(1, 3), ['18', '3']);
      assert.deepEqual(rows.get('index.html')?.slice(1, 3), ['21', '1']);
    });

    it('reuses a container behind an empty object', async () => {
      const image = extractImage(dir, 'mixed');
      assert.equal((await runTool(admin, ['-r', EXACT16K, image])).status, 0);
      // empty.txt keeps its zero-length container at 92, which still lets a container start there.
      const added = await runTool(admin, ['-a', sourceFile('exact16k.bin'), '-n', 'again', image]);
      assert.equal(added.status, 0, added.stderr);
      assert.deepEqual((await listing([image])).get('again')?.slice(0, 3), [EXACT16K, '92', '4']);
    });

    it('keeps the data of the remaining objects', async () => {
      const image = extractImage(dir, 'mixed');
      assert.equal((await runTool(admin, ['-r', EXACT16K, '-a', sourceFile('favicon.ico'), image])).status, 0);
      const volume = await mountVolume([image]);
      try {
        const big = volume.findByName('big.bin')!;
        assert.deepEqual(await volume.read(big, 0, big.size), fs.readFileSync(sourceFile('big.bin')));
        const icon = volume.findByName('favicon.ico')!;
        assert.equal(icon.chunk, 92);
        assert.deepEqual(await volume.read(icon, 0, icon.size), fs.readFileSync(sourceFile('favicon.ico')));
      } finally {
        await volume.unmount();
      }
    });
  });

  describe('commands', () => {
    it('lists additions of the same run last', async () => {
      const image = extractImage(dir, 'demo');
      const result = await runTool(admin, ['-a', sourceFile('notes.txt'), '-l', image]);
      assert.equal(result.status, 0, result.stderr);
      const names = result.stdout.toString().trimEnd().split('\n').slice(1).map((line) => line.split(' ').pop());
      assert.deepEqual(names, ['favicon.ico', 'index.html', 'logo.png', 'notes.txt']);
    });

    it('moves the default flag', async () => {
      const image = extractImage(dir, 'demo');
      const logo = '02f7292c9e8b4014fd44f273a8086577860bcb4642ebc658b441f9500f3b2908';
      assert.equal((await runTool(admin, ['-d', logo, image])).status, 0);
      const rows = await listing([image]);
      assert.equal(rows.get('logo.png')?.[3], '-D-');
      assert.equal(rows.get('index.html')?.[3], '---');
    });

    it('clears the default flag', async () => {
      const image = extractImage(dir, 'demo');
      assert.equal((await runTool(admin, ['-C', image])).status, 0);
      assert.equal((await listing([image])).get('index.html')?.[3], '---');
      const volume = await mountVolume([image]);
      assert.equal(volume.defaultEntry(), undefined);
      await volume.unmount();
    });

    it('removes a link', async () => {
      const image = extractImage(dir, 'mixed');
      const result = await runTool(admin, ['-r', 'd0aa2f98fffc0908445291efe3b9ba3d40fcd23a', image]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal((await listing([image])).has('movie-redirect'), false);
    });

    it('adds an auto link with an IPv4 host', async () => {
      const image = extractImage(dir, 'mixed');
      const result = await runTool(admin, ['-u', 'http://192.168.1.20:8000/a/b?x=1', '-t', 'AUTO', image]);
      assert.equal(result.status, 0, result.stderr);
      const volume = await mountVolume([image]);
      try {
        const entry = volume.findByName('b?x=1')!;
        assert.deepEqual(entry.link, { type: 'auto', host: '192.168.1.20', hostType: 'ipv4', port: 8000, path: 'a/b?x=1' });
        assert.equal(entry.digestHex, createHash('sha1').update('http://192.168.1.20:8000/a/b?x=1').digest('hex'));
      } finally {
        await volume.unmount();
      }
    });

    it('cats nothing for a link', async () => {
      const image = extractImage(dir, 'mixed');
      const result = await runTool(admin, ['-c', 'b4c93af3abf26c1dd8932520b989b29ef087e54a', image]);
      assert.equal(result.status, 0);
      assert.equal(result.stdout.length, 0);
    });

    it('warns about a digest on a computing volume', async () => {
      const image = extractImage(dir, 'demo');
      const result = await runTool(admin, ['-a', sourceFile('notes.txt'), '-D', '00', image]);
      assert.equal(result.status, 0);
      assert.match(result.stderr, /warning: volume 'DemoVol' computes digests itself; ignoring the digest given for .*notes\.txt/);
    });

    it('prints digests with -v', async () => {
      const image = extractImage(dir, 'demo');
      const result = await runTool(admin, ['-v', '-a', sourceFile('notes.txt'), image]);
      assert.match(result.stderr, /Hash for .*notes\.txt is: e0d17daa335da4caf6761e4918a8293ec834c0cc255e6dd72aaaa59930f7610b/);
    });

    it('reads a volume it may not write', async () => {
      const image = extractImage(dir, 'demo');
      fs.chmodSync(image, 0o444);
      const result = await runTool(admin, ['-l', '-c', INDEX_SHA256, image]);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(result.stdout.toString().includes('index.html'));
    });

    it('prints help', async () => {
      const result = await runTool(admin, ['--help']);
      assert.equal(result.status, 0);
      assert.match(result.stdout.toString(), /^Usage: shfs-admin \[OPTION\]\.\.\. DEVICE\.\.\./);
    });

    it('prints the version', async () => {
      const result = await runTool(admin, ['-V']);
      assert.equal(result.status, 0);
      assert.match(result.stdout.toString(), /^shfs-admin \(MiniCache for Linux\) \d+\.\d+\.\d+, SHFS format 2\.01\n$/);
    });

    it('stops before the first command when interrupted', async () => {
      const image = extractImage(dir, 'demo');
      const before = fileHash(image);
      const controller = new AbortController();
      controller.abort();
      const result = await runTool(admin, ['-a', sourceFile('notes.txt'), image], { signal: controller.signal });
      assert.equal(result.status, 130);
      assert.equal(fileHash(image), before);
    });
  });

  describe('bad input', () => {
    it('rejects a duplicate digest', async () => {
      const image = extractImage(dir, 'md5');
      await expectRejected(['-a', sourceFile('notes.txt')], [image], /^shfs-admin: an entry with digest d3081a783543e6de351939a79ccc9a2c already exists \('notes\.txt'\); .*notes\.txt was not added\n$/);
    });

    it('rejects a full bucket', async () => {
      const image = extractImage(dir, 'manual');
      // 0123456789abcdef sits in bucket 1 (first four bytes); three more fill its four slots.
      for (const tail of ['00000001', '00000002', '00000003']) {
        const result = await runTool(admin, ['-a', sourceFile('notes.txt'), '-D', `01234567${tail}`, image]);
        assert.equal(result.status, 0, result.stderr);
      }
      await expectRejected(['-a', sourceFile('notes.txt'), '-D', '0123456700000004'], [image], /hash table bucket 1 is full \(4 entries\)/);
    });

    it('rejects a missing file', async () => {
      const image = extractImage(dir, 'demo');
      await expectRejected(['-a', path.join(dir, 'absent.html')], [image], /^shfs-admin: .*absent\.html: no such file or directory\n$/);
    });

    it('rejects a directory', async () => {
      const image = extractImage(dir, 'demo');
      await expectRejected(['-a', dir], [image], /is not a regular file/);
    });

    it('rejects an unknown digest', async () => {
      const image = extractImage(dir, 'demo');
      await expectRejected(['-r', '00'.repeat(32)], [image], /no object with digest 0{64} on volume 'DemoVol'/);
    });

    it('rejects a malformed digest', async () => {
      const image = extractImage(dir, 'demo');
      await expectRejected(['-d', '1e833c10'], [image], /invalid digest '1e833c10': expected 64 hex digits/);
    });

    it('requires a digest on a manual volume', async () => {
      const image = extractImage(dir, 'manual');
      await expectRejected(['-a', sourceFile('index.html')], [image], /a digest \(-D HEX\) is required for .*index\.html: volume 'Man' uses manual digests/);
    });

    it('rejects an object larger than the free space', async () => {
      const image = extractImage(dir, 'md5');
      const file = path.join(dir, 'large.bin');
      fs.writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 1));
      await expectRejected(['-a', file], [image], /no free area of 384 chunks for .*large\.bin on volume 'M5'/);
    });

    it('rejects a device without a label', async () => {
      const image = path.join(dir, 'zero.img');
      fs.writeFileSync(image, Buffer.alloc(1024 * 1024));
      await expectRejected(['-l'], [image], /zero\.img: not an SHFS volume member \(no SHFS label found\)/);
    });

    it('rejects a member given twice', async () => {
      const m0 = extractImage(dir, 'm0');
      await expectRejected(['-l'], [m0, m0], /given twice/);
    });

    it('rejects a missing member', async () => {
      const m1 = extractImage(dir, 'm1');
      await expectRejected(['-l'], [m1], /member 1 of 2 of volume 'Striped' .* is missing/);
    });

    it('rejects an unknown option', async () => {
      const image = extractImage(dir, 'demo');
      await expectRejected(['-z'], [image], /^shfs-admin: unknown option '-z'; see 'shfs-admin --help'\n$/);
    });

    it('rejects -m without -a', async () => {
      const image = extractImage(dir, 'demo');
      await expectRejected(['-l', '-m', 'text/plain'], [image], /'-m' must follow --add-obj/);
    });

    it('rejects an invalid link type', async () => {
      const image = extractImage(dir, 'mixed');
      await expectRejected(['-u', 'http://h/x', '-t', 'proxy'], [image], /invalid link type 'proxy' \(use redirect, raw or auto\)/);
    });

    it('rejects an https link', async () => {
      const image = extractImage(dir, 'mixed');
      await expectRejected(['-u', 'https://example.org/x'], [image], /unsupported scheme in URL \(only http\): https:\/\/example\.org\/x/);
    });

    it('rejects a link with user information', async () => {
      const image = extractImage(dir, 'mixed');
      await expectRejected(['-u', 'http://user@example.org/x'], [image], /user information is not supported/);
    });

    it('rejects a missing value', async () => {
      const image = extractImage(dir, 'demo');
      await expectRejected([image, '-a'], [], /option '-a' needs a value/);
    });

    it('rejects no device', async () => {
      const result = await runTool(admin, ['-l']);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, "shfs-admin: no volume member given; see 'shfs-admin --help'\n");
    });

    it('runs later commands after a failure', async () => {
      const image = extractImage(dir, 'demo');
      const result = await runTool(admin, ['-r', '00'.repeat(32), '-a', sourceFile('notes.txt'), image]);
      assert.equal(result.status, 1);
      assert.ok((await listing([image])).has('notes.txt'));
    });
  });
});
