import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShfsError } from '../../../src/shfs/errors';
import { formatInfo, formatListing } from '../../../src/shfs/report-text';
import { mountVolume, type ShfsVolume } from '../../../src/shfs/volume';
import { describeVolume } from '../../../src/shfs/volume-report';
import {
  STORED_OBJECTS,
  extractImage,
  makeTempDir,
  manifestListings,
  removeTempDir,
  sourceFile,
  withoutDates,
  type FixtureImage,
} from './fixture-images';

const SINGLE_MEMBER: Array<Exclude<FixtureImage, 'm0' | 'm1'>> = ['demo', 'mixed', 'md5', 'crc', 'manual', 'haval'];

async function readAll(volume: ShfsVolume, name: string): Promise<Buffer> {
  const entry = volume.findByName(name);
  assert.ok(entry, `entry ${name}`);
  return volume.read(entry, 0, entry.size);
}

async function mountError(paths: string[]): Promise<ShfsError> {
  try {
    const volume = await mountVolume(paths);
    await volume.unmount();
  } catch (error) {
    assert.ok(error instanceof ShfsError, `expected ShfsError, got ${String(error)}`);
    return error;
  }
  assert.fail(`mounting ${paths.join(' ')} succeeded`);
}

describe('shfs mount', () => {
  let dir: string;
  const images = new Map<FixtureImage, string>();

  before(() => {
    dir = makeTempDir();
    for (const name of [...SINGLE_MEMBER, 'm0', 'm1'] as FixtureImage[]) images.set(name, extractImage(dir, name));
  });

  after(() => removeTempDir(dir));

  for (const name of SINGLE_MEMBER) {
    it(`lists ${name}.img as MANIFEST.md`, async () => {
      const volume = await mountVolume([images.get(name)!]);
      try {
        const report = describeVolume(volume);
        const printed = (formatListing(report) + formatInfo(report.info)).split('\n').map(withoutDates);
        const expected = manifestListings().get(`${name}.img`)!.map(withoutDates);
        let at = 0;
        for (const line of expected) {
          const found = printed.indexOf(line, at);
          assert.ok(found >= 0, `missing or out of order: ${line}`);
          at = found + 1;
        }
      } finally {
        await volume.unmount();
      }
    });

    it(`reads every object of ${name}.img`, async () => {
      const volume = await mountVolume([images.get(name)!]);
      try {
        for (const [entryName, fileName] of Object.entries(STORED_OBJECTS[name])) {
          assert.deepEqual(await readAll(volume, entryName), fs.readFileSync(sourceFile(fileName)), entryName);
        }
      } finally {
        await volume.unmount();
      }
    });
  }

  for (const order of [['m0', 'm1'], ['m1', 'm0']] as const) {
    it(`mounts striped members as ${order.join(' ')}`, async () => {
      const volume = await mountVolume(order.map((name) => images.get(name)!));
      try {
        assert.equal(volume.stripeMode, 'combined');
        assert.equal(volume.chunkSize, 8192);
        assert.deepEqual(volume.members.map((member) => path.basename(member.path)), ['m0.img', 'm1.img']);
        for (const [entryName, fileName] of Object.entries(STORED_OBJECTS.striped)) {
          assert.deepEqual(await readAll(volume, entryName), fs.readFileSync(sourceFile(fileName)), entryName);
        }
      } finally {
        await volume.unmount();
      }
    });
  }

  it('lists striped volume as MANIFEST.md', async () => {
    const volume = await mountVolume([images.get('m1')!, images.get('m0')!]);
    try {
      const report = describeVolume(volume);
      const printed = (formatListing(report) + formatInfo(report.info)).split('\n').map(withoutDates);
      for (const line of manifestListings().get('m0.img m1.img')!.map(withoutDates)) {
        assert.ok(printed.includes(line), `missing: ${line}`);
      }
    } finally {
      await volume.unmount();
    }
  });

  it('finds objects by digest, name and default', async () => {
    const volume = await mountVolume([images.get('demo')!]);
    try {
      const digest = Buffer.from('1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55', 'hex');
      assert.equal(volume.findByDigest(digest)?.name, 'index.html');
      assert.equal(volume.findByDigest(digest.subarray(0, 16)), undefined);
      assert.equal(volume.findByDigestHex('1E833C10400FD4CD5ACF6CF73764A35D66EB68F627A332E129B246CA39DF1E55')?.name, 'index.html');
      assert.equal(volume.findByName('logo.png')?.mime, 'image/png');
      assert.equal(volume.findByName('missing'), undefined);
      assert.equal(volume.defaultEntry()?.name, 'index.html');
      assert.equal(volume.entries().length, 3);
    } finally {
      await volume.unmount();
    }
  });

  it('decodes link entries of mixed.img', async () => {
    const volume = await mountVolume([images.get('mixed')!]);
    try {
      assert.deepEqual(volume.findByName('movie-redirect')?.link, {
        type: 'redirect',
        host: '10.0.0.5',
        hostType: 'name',
        port: 8080,
        path: 'videos/a.mp4',
      });
      assert.deepEqual(volume.findByName('raw-link')?.link, {
        type: 'raw',
        host: 'origin.example',
        hostType: 'name',
        port: 80,
        path: 'raw/path',
      });
      assert.equal(volume.findByName('raw-link')?.size, 0);
    } finally {
      await volume.unmount();
    }
  });

  it('reads byte ranges across chunks', async () => {
    const volume = await mountVolume([images.get('mixed')!]);
    try {
      const source = fs.readFileSync(sourceFile('big.bin'));
      const entry = volume.findByName('big.bin')!;
      for (const [start, end] of [[0, 1], [4095, 4097], [1000, 250000], [299999, 300000], [12, 12]]) {
        assert.deepEqual(await volume.read(entry, start, end), source.subarray(start, end), `${start}..${end}`);
      }
    } finally {
      await volume.unmount();
    }
  });

  it('rejects ranges outside the object', async () => {
    const volume = await mountVolume([images.get('demo')!]);
    try {
      const entry = volume.findByName('index.html')!;
      assert.throws(() => volume.createReadStream(entry, 0, entry.size + 1), { code: 'EINVAL' });
      await assert.rejects(volume.read(entry, 5, 4), { code: 'EINVAL' });
    } finally {
      await volume.unmount();
    }
  });

  it('rejects reads after unmount', async () => {
    const volume = await mountVolume([images.get('demo')!]);
    const entry = volume.findByName('index.html')!;
    await volume.unmount();
    await assert.rejects(volume.read(entry, 0, 10), { code: 'ENODEV' });
  });

  describe('bad images', () => {
    it('rejects a truncated image', async () => {
      const truncated = path.join(dir, 'truncated.img');
      fs.copyFileSync(images.get('demo')!, truncated);
      fs.truncateSync(truncated, 4 * 1024 * 1024);
      const error = await mountError([truncated]);
      assert.equal(error.code, 'ETRUNCATED');
      assert.match(error.message, /truncated\.img: 4194304 bytes, but volume 'DemoVol' .* needs 8372224 bytes/);
    });

    it('rejects a device smaller than a label', async () => {
      const tiny = path.join(dir, 'tiny.img');
      fs.writeFileSync(tiny, Buffer.alloc(100));
      const error = await mountError([tiny]);
      assert.equal(error.code, 'ENOTSHFS');
      assert.match(error.message, /tiny\.img: not an SHFS volume member/);
    });

    it('rejects a wrong magic', async () => {
      const image = path.join(dir, 'magic.img');
      fs.copyFileSync(images.get('demo')!, image);
      const fd = fs.openSync(image, 'r+');
      fs.writeSync(fd, Buffer.from('XHFS'), 0, 4, 1024);
      fs.closeSync(fd);
      const error = await mountError([image]);
      assert.equal(error.code, 'ENOTSHFS');
      assert.equal(error.message, `${image}: not an SHFS volume member (no SHFS label found)`);
    });

    it('rejects a wrong version', async () => {
      const image = path.join(dir, 'version.img');
      fs.copyFileSync(images.get('demo')!, image);
      const fd = fs.openSync(image, 'r+');
      fs.writeSync(fd, Buffer.from([0x01, 0x03]), 0, 2, 1028);
      fs.closeSync(fd);
      const error = await mountError([image]);
      assert.equal(error.code, 'EVERSION');
      assert.equal(error.message, `${image}: SHFS version 1.03 is not supported (supported: 2.01)`);
    });

    it('rejects a missing member', async () => {
      const error = await mountError([images.get('m1')!]);
      assert.equal(error.code, 'EMEMBER');
      assert.match(error.message, /member 1 of 2 of volume 'Striped' \(d1fd21b5-.*\) is missing/);
    });

    it('rejects a member given twice', async () => {
      const error = await mountError([images.get('m0')!, images.get('m0')!]);
      assert.equal(error.code, 'EMEMBER');
      assert.match(error.message, /m0\.img is the same member of volume 'Striped' .* as .*m0\.img \(given twice\)/);
    });

    it('rejects members of different volumes', async () => {
      const error = await mountError([images.get('m0')!, images.get('demo')!]);
      assert.equal(error.code, 'EMEMBER');
      assert.match(error.message, /demo\.img belongs to volume 'DemoVol' .*, not to volume 'Striped' .* of .*m0\.img/);
    });

    it('rejects a missing file', async () => {
      await assert.rejects(mountVolume([path.join(dir, 'absent.img')]), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ENOENT');
        assert.match(error.message, /absent\.img/);
        return true;
      });
    });

    it('rejects an invalid configuration header', async () => {
      const image = path.join(dir, 'config.img');
      fs.copyFileSync(images.get('demo')!, image);
      const fd = fs.openSync(image, 'r+');
      fs.writeSync(fd, Buffer.from([9]), 0, 1, 16384 + 16);
      fs.closeSync(fd);
      const error = await mountError([image]);
      assert.equal(error.code, 'EBADCONFIG');
      assert.match(error.message, /unknown hash function code 9/);
    });
  });
});
