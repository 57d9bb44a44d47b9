import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { VolumeManager } from '../../../src/appliance/volume-manager';
import { Logger, setLogSink } from '../../../src/log';
import { FIXTURES_DIR } from '../../helpers/fixtures-dir';

describe('appliance volume manager', () => {
  let dir: string;
  let image: string;
  let restoreSink: (line: string) => void;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-volumes-'));
    image = path.join(dir, 'md5.img');
    fs.writeFileSync(image, zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', 'md5.img.gz'))));
    restoreSink = setLogSink(() => undefined);
  });

  after(() => {
    setLogSink(restoreSink);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('remounts twice at the same time', async () => {
    const volumes = new VolumeManager(1024 * 1024, new Logger('test'));
    await volumes.mount([image]);
    const results = await Promise.allSettled([volumes.remount(), volumes.remount()]);
    assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled']);
    assert.equal(volumes.volume?.name, 'M5');
    await volumes.close();
  });

  it('keeps a mount out of a remount', async () => {
    const volumes = new VolumeManager(1024 * 1024, new Logger('test'));
    await volumes.mount([image]);
    const remount = volumes.remount();
    const mount = volumes.mount([image]);
    await remount;
    await assert.rejects(mount, /is mounted already/);
    await volumes.close();
  });

  it('reports a remount with nothing mounted', async () => {
    const volumes = new VolumeManager(1024 * 1024, new Logger('test'));
    await assert.rejects(volumes.remount(), /no volume is mounted/);
  });
});
