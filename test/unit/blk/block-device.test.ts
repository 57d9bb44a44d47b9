import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlockDevice, allocAligned } from '../../../src/blk/block-device';
import { toBlockDeviceError } from '../../../src/blk/block-device-error';
import { setLogSink } from '../../../src/log';

describe('blk device', () => {
  let dir: string;
  let image: string;
  let content: Buffer;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
    image = path.join(dir, 'disk.img');
    content = randomBytes(64 * 1024);
    fs.writeFileSync(image, content);
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports size and alignment', async () => {
    const device = BlockDevice.open(image);
    try {
      assert.equal(device.size, 65536);
      assert.equal(device.blockDevice, false);
      assert.equal(device.sectorSize, 512);
      assert.equal(device.alignment, 4096);
      assert.equal(device.path, image);
    } finally {
      await device.close();
    }
  });

  it('reads an aligned range', async () => {
    const device = BlockDevice.open(image);
    try {
      assert.deepEqual(await device.read(8192, 4096), content.subarray(8192, 12288));
    } finally {
      await device.close();
    }
  });

  it('widens an unaligned read', async () => {
    const device = BlockDevice.open(image);
    try {
      assert.deepEqual(await device.read(4000, 300), content.subarray(4000, 4300));
      assert.deepEqual(await device.read(65535, 1), content.subarray(65535));
    } finally {
      await device.close();
    }
  });

  it('reads into an aligned buffer', async () => {
    const device = BlockDevice.open(image);
    try {
      const target = allocAligned(16384);
      await device.readInto(target, 4096, 8192, 32768);
      assert.deepEqual(target.subarray(4096, 12288), content.subarray(32768, 40960));
      assert.equal(target.subarray(0, 4096).every((byte) => byte === 0), true);
    } finally {
      await device.close();
    }
  });

  it('rejects reads beyond the end', async () => {
    const device = BlockDevice.open(image);
    try {
      await assert.rejects(device.read(65000, 1000), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'EINVAL');
        assert.match(error.message, /disk\.img: transfer of 1000 bytes at byte 65000 ends beyond the device size of 65536 bytes/);
        return true;
      });
    } finally {
      await device.close();
    }
  });

  it('rejects a missing file with ENOENT', () => {
    assert.throws(() => BlockDevice.open(path.join(dir, 'absent.img')), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ENOENT');
      assert.match(error.message, /absent\.img/);
      return true;
    });
  });

  it('rejects a directory', () => {
    assert.throws(() => BlockDevice.open(dir), (error: NodeJS.ErrnoException) => {
      assert.ok(error.code === 'EISDIR' || error.code === 'EINVAL', `code ${error.code}`);
      assert.match(error.message, new RegExp(path.basename(dir)));
      return true;
    });
  });

  it('rejects writes when read-only', async () => {
    const device = BlockDevice.open(image);
    try {
      await assert.rejects(device.write(0, Buffer.alloc(4096)), { code: 'EBADF' });
    } finally {
      await device.close();
    }
    assert.deepEqual(fs.readFileSync(image), content);
  });

  for (const direct of [true, false]) {
    it(`writes an unaligned range ${direct ? 'with' : 'without'} O_DIRECT`, async () => {
      const device = BlockDevice.open(image, { writable: true, direct });
      const data = Buffer.from('entry slot bytes');
      try {
        await device.write(5000, data);
        await device.sync();
      } finally {
        await device.close();
      }
      const expected = Buffer.from(content);
      data.copy(expected, 5000);
      assert.deepEqual(fs.readFileSync(image), expected);
    });
  }

  it('writes aligned chunks', async () => {
    const device = BlockDevice.open(image, { writable: true });
    const data = randomBytes(16384);
    try {
      await device.write(16384, data);
    } finally {
      await device.close();
    }
    assert.deepEqual(fs.readFileSync(image).subarray(16384, 32768), data);
  });

  it('fails every call after close', async () => {
    const device = BlockDevice.open(image);
    await device.close();
    await assert.rejects(device.read(0, 10), { code: 'EBADF' });
    assert.equal(device.closed, true);
  });

  it('closes after reads in flight', async () => {
    const device = BlockDevice.open(image);
    const reads = [device.read(0, 4096), device.read(4096, 4096)];
    const closing = device.close();
    assert.deepEqual(Buffer.concat(await Promise.all(reads)), content.subarray(0, 8192));
    await closing;
  });

  it('logs once when O_DIRECT is unavailable', async () => {
    // /dev/shm is tmpfs, which rejected O_DIRECT before Linux 6.6; on newer kernels no line is logged.
    if (!fs.existsSync('/dev/shm')) return;
    const shmImage = fs.mkdtempSync('/dev/shm/minicache-');
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      fs.writeFileSync(path.join(shmImage, 'disk.img'), content);
      const device = BlockDevice.open(path.join(shmImage, 'disk.img'));
      assert.deepEqual(await device.read(100, 100), content.subarray(100, 200));
      assert.equal(lines.length, device.direct ? 0 : 1);
      if (!device.direct) assert.match(lines[0], /rejects O_DIRECT/);
      await device.close();
    } finally {
      setLogSink(previous);
      fs.rmSync(shmImage, { recursive: true, force: true });
    }
  });

  it('names the device in transfer errors', () => {
    const error = toBlockDeviceError({ code: 'EBLKIO', message: 'read failed at byte 5: Bad file descriptor' }, '/dev/x', 'read failed');
    assert.equal(error.code, 'EIO');
    assert.equal(error.message, '/dev/x: read failed at byte 5: Bad file descriptor');
  });

  it('keeps errno codes of the addon', () => {
    const error = toBlockDeviceError({ code: 'EACCES', message: 'cannot open /dev/x: Permission denied' }, '/dev/x', 'cannot open');
    assert.equal(error.code, 'EACCES');
    assert.equal(error.message, 'cannot open /dev/x: Permission denied');
  });
});
