import * as assert from 'node:assert/strict';
import { exportRecords, formatStatisticsExport } from '../../../src/http';
import { MISSED_DIGESTS_MAX, ObjectStatisticsTable } from '../../../src/http/object-statistics';
import { FakeVolume } from '../../helpers/fake-volume';
import { fetchOnce } from '../../helpers/http-client';
import { captureLogs, createTestService } from './fixtures';

const HEADER = 'x4k(hash);u4g(laccess);u4s(hits);u4s(miss);u4s(completed);u4s(0%);u4s(50%);u4s(100%)';

describe('statistics export', () => {
  let restoreLogs: () => void;

  before(() => {
    restoreLogs = captureLogs();
  });

  after(() => restoreLogs());

  it('formats the layout line and records', () => {
    const table = new ObjectStatisticsTable();
    table.recordHit('0a0b0c0d', new Date(1_700_000_000_000));
    const download = table.startDownload('0a0b0c0d', 100);
    download.addBytes(100);
    download.finish(true);
    const text = formatStatisticsExport(table.snapshot(), 4).toString('latin1');
    assert.equal(text, `${HEADER}\n0a0b0c0d;1700000000;1;0;1;1;1;1\n\0`);
  });

  it('bounds the records of missed digests', () => {
    const table = new ObjectStatisticsTable();
    for (let i = 0; i < MISSED_DIGESTS_MAX + 10; i++) table.recordMiss(i.toString(16).padStart(8, '0'), new Date(0));
    assert.equal(table.snapshot().length, MISSED_DIGESTS_MAX);
    assert.equal(table.untrackedMisses, 10);
    // A digest already tracked keeps counting, and hits still get a record.
    table.recordMiss('00000000', new Date(0));
    assert.equal(table.get('00000000')?.misses, 2);
    table.recordHit('ffffffff0', new Date(0));
    assert.equal(table.get('ffffffff0')?.hits, 1);
  });

  it('ends with a zero byte', () => {
    const bytes = formatStatisticsExport([], 4);
    assert.equal(bytes[bytes.length - 1], 0);
  });

  it('saturates counters at 32 bits', () => {
    const table = new ObjectStatisticsTable();
    table.recordHit('0a0b0c0d', new Date(0));
    const [record] = table.snapshot();
    record.hits = 2 ** 40;
    const text = formatStatisticsExport([record], 4).toString('latin1');
    assert.match(text, /\n0a0b0c0d;0;4294967295;0;0;0;0;0\n/);
  });

  it('lists volume objects first, then misses', () => {
    const volume = new FakeVolume([{ name: 'a', data: 'a' }, { name: 'b', data: 'b' }], { hashLength: 4 });
    const table = new ObjectStatisticsTable();
    table.recordMiss('ffffffff', new Date(5000));
    table.recordHit(volume.entry('b').digestHex, new Date(7000));
    const records = exportRecords(volume, table.snapshot());
    assert.deepEqual(
      records.map((record) => [record.digestHex, record.hits, record.misses]),
      [
        [volume.entry('a').digestHex, 0, 0],
        [volume.entry('b').digestHex, 1, 0],
        ['ffffffff', 0, 1],
      ],
    );
  });

  it('exports what the service counted', async () => {
    const { service, volume } = createTestService({ now: () => new Date(1_600_000_000_000) }, [{ name: 'a.txt', data: 'abc', isDefault: true }]);
    await fetchOnce(service, 'GET /a.txt HTTP/1.1\r\nHost: cache\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const text = service.exportStatistics()?.toString('latin1');
    await service.close();
    assert.equal(text?.split('\n')[1], `${volume.entry('a.txt').digestHex};1600000000;1;0;1;1;1;1`);
  });

  it('exports nothing without a volume', () => {
    const { service, mounted } = createTestService();
    mounted.volume = undefined;
    assert.equal(service.exportStatistics(), undefined);
  });
});
