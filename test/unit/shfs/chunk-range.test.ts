import * as assert from 'node:assert/strict';
import { ChunkRange } from '../../../src/shfs/chunk-range';

function pieces(range: ChunkRange): Array<[number, number, number]> {
  const result: Array<[number, number, number]> = [];
  for (let i = 0; i < range.length; i++) result.push([range.chunk(i), range.from(i), range.to(i)]);
  return result;
}

describe('shfs chunk range', () => {
  it('covers a whole object from its first chunk', () => {
    assert.deepEqual(pieces(new ChunkRange(10, 0, 0, 10_000, 4096)), [
      [10, 0, 4096],
      [11, 0, 4096],
      [12, 0, 1808],
    ]);
  });

  it('starts and ends inside chunks', () => {
    assert.deepEqual(pieces(new ChunkRange(10, 100, 5000, 9000, 4096)), [
      [11, 1004, 4096],
      [12, 0, 908],
    ]);
  });

  it('ends exactly on a chunk boundary', () => {
    assert.deepEqual(pieces(new ChunkRange(5, 0, 0, 8192, 4096)), [
      [5, 0, 4096],
      [6, 0, 4096],
    ]);
  });

  it('lies inside one chunk', () => {
    assert.deepEqual(pieces(new ChunkRange(7, 0, 10, 20, 4096)), [[7, 10, 20]]);
  });

  it('is empty for an empty range', () => {
    assert.equal(new ChunkRange(7, 0, 50, 50, 4096).length, 0);
    assert.deepEqual(new ChunkRange(7, 0, 50, 50, 4096).chunks(), []);
  });

  it('lists chunk numbers of a slice', () => {
    assert.deepEqual(new ChunkRange(10, 0, 0, 5 * 4096, 4096).chunks(1, 4), [11, 12, 13]);
  });

  it('describes a huge range without a list', () => {
    const range = new ChunkRange(1, 0, 0, 2 ** 40, 4096);
    assert.equal(range.length, 2 ** 28);
    assert.deepEqual([range.chunk(2 ** 28 - 1), range.from(2 ** 28 - 1), range.to(2 ** 28 - 1)], [2 ** 28, 0, 4096]);
  });
});
