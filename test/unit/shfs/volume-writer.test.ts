import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { ShfsError } from '../../../src/shfs/errors';
import { mountVolume } from '../../../src/shfs/volume';
import { formatVolume } from '../../../src/shfs/writer/format-volume';
import { VolumeWriter } from '../../../src/shfs/writer/volume-writer';
import { extractImage, makeTempDir, removeTempDir, sourceFile } from './fixture-images';

const MIB = 1024 * 1024;

function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Bytes of the label, configuration and table of a one-member volume with 4096-byte chunks and a 16-chunk table. */
function metadataOf(file: string): Buffer {
  return fs.readFileSync(file).subarray(0, 18 * 4096);
}

describe('shfs volume writer', () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(() => removeTempDir(dir));

  async function freshVolume(size = 8 * MIB): Promise<string> {
    const image = path.join(dir, 'fresh.img');
    fs.writeFileSync(image, Buffer.alloc(size));
    await formatVolume([image], { stripeSize: 4096, bucketCount: 64, entriesPerBucket: 4, hashFunction: 'sha', hashLength: 32 });
    return image;
  }

  it('leaves the volume unchanged when interrupted while hashing', async () => {
    const image = await freshVolume();
    const file = path.join(dir, 'large.bin');
    fs.writeFileSync(file, randomBytes(6 * MIB));
    const before = fileHash(image);

    const controller = new AbortController();
    const writer = await VolumeWriter.open([image]);
    try {
      await assert.rejects(
        writer.addObject(file, { signal: controller.signal, onProgress: () => controller.abort() }),
        (error: ShfsError) => error.code === 'ECANCELED' && /interrupted; .*large\.bin was not added/.test(error.message),
      );
      assert.equal(writer.entries().length, 0);
    } finally {
      await writer.close();
    }
    assert.equal(fileHash(image), before);
  });

  it('leaves the table unchanged when interrupted while copying', async () => {
    const image = await freshVolume();
    const file = path.join(dir, 'large.bin');
    fs.writeFileSync(file, randomBytes(6 * MIB));
    const before = metadataOf(image);

    const controller = new AbortController();
    const writer = await VolumeWriter.open([image]);
    try {
      const adding = writer.addObject(file, {
        signal: controller.signal,
        onProgress: (done, total) => {
          if (done > total / 2) controller.abort();
        },
      });
      await assert.rejects(adding, { code: 'ECANCELED' });
    } finally {
      await writer.close();
    }
    assert.deepEqual(metadataOf(image), before);
    const volume = await mountVolume([image]);
    assert.equal(volume.entries().length, 0);
    await volume.unmount();
  });

  it('notices a file that grows while it is added', async () => {
    const image = await freshVolume();
    const file = path.join(dir, 'growing.bin');
    fs.writeFileSync(file, randomBytes(5 * MIB));
    const before = metadataOf(image);

    const writer = await VolumeWriter.open([image]);
    let appended = false;
    try {
      await assert.rejects(
        writer.addObject(file, {
          onProgress: (done, total) => {
            if (!appended && done > total / 2) {
              appended = true;
              fs.appendFileSync(file, 'more');
            }
          },
        }),
        (error: ShfsError) => error.code === 'ECHANGED' && error.message.endsWith('growing.bin changed while it was being added'),
      );
    } finally {
      await writer.close();
    }
    assert.deepEqual(metadataOf(image), before);
  });

  it('writes each slot into the backup table too', async () => {
    const image = await freshVolume();
    // Point the backup table at chunks 18..33, right after the table.
    const fd = fs.openSync(image, 'r+');
    const ref = Buffer.alloc(8);
    ref.writeBigUInt64LE(18n);
    fs.writeSync(fd, ref, 0, 8, 4096 + 8);
    fs.closeSync(fd);

    const writer = await VolumeWriter.open([image]);
    const entry = await writer.addObject(sourceFile('notes.txt'));
    await writer.close();
    assert.equal(entry.chunk, 34);

    const data = fs.readFileSync(image);
    const slotOffset = (entry.slot % 16) * 256 + Math.floor(entry.slot / 16) * 4096;
    const primary = data.subarray(2 * 4096 + slotOffset, 2 * 4096 + slotOffset + 256);
    const backup = data.subarray(18 * 4096 + slotOffset, 18 * 4096 + slotOffset + 256);
    assert.deepEqual(backup, primary);
    assert.equal(primary.subarray(0, 32).toString('hex'), 'e0d17daa335da4caf6761e4918a8293ec834c0cc255e6dd72aaaa59930f7610b');
  });

  it('rejects an all-zero manual digest', async () => {
    const image = extractImage(dir, 'manual');
    const writer = await VolumeWriter.open([image]);
    try {
      await assert.rejects(writer.addObject(sourceFile('index.html'), { digest: '0000000000000000' }), {
        code: 'EINVAL',
        message: /all zeros, which marks a free slot/,
      });
    } finally {
      await writer.close();
    }
  });

  it('refuses changes when opened read-only', async () => {
    const image = extractImage(dir, 'demo');
    const writer = await VolumeWriter.open([image], { readOnly: true });
    try {
      await assert.rejects(writer.clearDefault(), { code: 'EINVAL', message: "volume 'DemoVol' is open read-only" });
    } finally {
      await writer.close();
    }
  });

  it('cats an object across chunks', async () => {
    const image = extractImage(dir, 'mixed');
    const writer = await VolumeWriter.open([image], { readOnly: true });
    const out = new PassThrough();
    const pieces: Buffer[] = [];
    out.on('data', (piece: Buffer) => pieces.push(piece));
    try {
      await writer.catObject('7049eed59f5f58acc76bbaa7825589e0bc375366', out);
    } finally {
      await writer.close();
    }
    assert.deepEqual(Buffer.concat(pieces), fs.readFileSync(sourceFile('big.bin')));
  });

  it('hashes an exact multiple of the chunk size without its last chunk', async () => {
    const image = extractImage(dir, 'mixed');
    const writer = await VolumeWriter.open([image]);
    try {
      await writer.removeObject('b1a734b24a65e9f47268f98e691bbcf0f01bcfce');
      const entry = await writer.addObject(sourceFile('exact16k.bin'));
      const first12k = fs.readFileSync(sourceFile('exact16k.bin')).subarray(0, 12288);
      assert.equal(entry.digestHex, createHash('sha1').update(first12k).digest('hex'));
      assert.equal(entry.size, 16384);
    } finally {
      await writer.close();
    }
  });
});
