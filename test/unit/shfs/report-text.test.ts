import * as assert from 'node:assert/strict';
import { formatListing, formatListingDate } from '../../../src/shfs/report-text';
import type { VolumeReport } from '../../../src/shfs/volume-report';

describe('shfs report text', () => {
  it('formats listing dates like strftime', () => {
    assert.equal(formatListingDate(new Date(2026, 11, 4, 19, 34)), 'Dec  4, 26 19:34');
    assert.equal(formatListingDate(new Date(2026, 0, 15, 7, 5)), 'Jan 15, 26 07:05');
  });

  it('uses the ISO week-based year', () => {
    // 30 Dec 2024 is a Monday in week 1 of 2025; 1 Jan 2021 is a Friday in week 53 of 2020.
    assert.equal(formatListingDate(new Date(2024, 11, 30, 9, 5)), 'Dec 30, 25 09:05');
    assert.equal(formatListingDate(new Date(2021, 0, 1, 0, 0)), 'Jan  1, 20 00:00');
  });

  it('widens the digest column for long digests', () => {
    const report = {
      info: { hashLength: 64 },
      entries: [
        {
          digestHex: 'ab'.repeat(64),
          name: 'x',
          mime: 'text/plain',
          size: 1,
          chunk: 7,
          sizeChunks: 1,
          link: false,
          isDefault: false,
          hidden: true,
          createdAt: new Date(2026, 11, 4, 19, 34),
        },
      ],
    } as unknown as VolumeReport;
    const [header, row] = formatListing(report).split('\n');
    assert.equal(header.indexOf('Loc (chk)'), 129 + 3);
    assert.equal(row, `${'ab'.repeat(64)}            7            1   --H       text/plain               Dec  4, 26 19:34 x`);
  });
});
