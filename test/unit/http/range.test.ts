import * as assert from 'node:assert/strict';
import { contentRange, evaluateRange, RANGE_SPECS_MAX, unsatisfiedContentRange } from '../../../src/http/range';

const SIZE = 1000;

describe('range evaluation', () => {
  it('ignores a missing header', () => {
    assert.deepEqual(evaluateRange(undefined, SIZE), { kind: 'ignore' });
  });

  it('reads first and last position', () => {
    assert.deepEqual(evaluateRange('bytes=10-19', SIZE), { kind: 'single', range: { start: 10, end: 20 } });
  });

  it('reads an open-ended range', () => {
    assert.deepEqual(evaluateRange('bytes=990-', SIZE), { kind: 'single', range: { start: 990, end: 1000 } });
  });

  it('reads a suffix range', () => {
    assert.deepEqual(evaluateRange('bytes=-100', SIZE), { kind: 'single', range: { start: 900, end: 1000 } });
  });

  it('clamps a suffix longer than the object', () => {
    assert.deepEqual(evaluateRange('bytes=-5000', SIZE), { kind: 'single', range: { start: 0, end: 1000 } });
  });

  it('clamps a last position past the end', () => {
    assert.deepEqual(evaluateRange('bytes=500-99999', SIZE), { kind: 'single', range: { start: 500, end: 1000 } });
  });

  it('accepts the unit in any case', () => {
    assert.deepEqual(evaluateRange('Bytes=0-0', SIZE), { kind: 'single', range: { start: 0, end: 1 } });
  });

  it('accepts whitespace and empty list elements', () => {
    assert.deepEqual(evaluateRange('bytes= , 5-9 ,', SIZE), { kind: 'single', range: { start: 5, end: 10 } });
  });

  it('finds a first position past the end unsatisfiable', () => {
    assert.deepEqual(evaluateRange('bytes=1000-', SIZE), { kind: 'unsatisfiable' });
  });

  it('finds a zero suffix unsatisfiable', () => {
    assert.deepEqual(evaluateRange('bytes=-0', SIZE), { kind: 'unsatisfiable' });
  });

  it('finds any range of an empty object unsatisfiable', () => {
    assert.deepEqual(evaluateRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  });

  it('ignores a reversed range', () => {
    assert.deepEqual(evaluateRange('bytes=20-10', SIZE), { kind: 'ignore' });
  });

  it('ignores another unit', () => {
    assert.deepEqual(evaluateRange('items=0-5', SIZE), { kind: 'ignore' });
  });

  it('ignores garbage', () => {
    assert.deepEqual(evaluateRange('bytes=abc', SIZE), { kind: 'ignore' });
  });

  it('ignores a header without ranges', () => {
    assert.deepEqual(evaluateRange('bytes=', SIZE), { kind: 'ignore' });
  });

  it('ignores several satisfiable ranges', () => {
    assert.deepEqual(evaluateRange('bytes=0-1,5-6', SIZE), { kind: 'ignore' });
  });

  it('keeps the one satisfiable range of several', () => {
    assert.deepEqual(evaluateRange('bytes=0-1,5000-6000', SIZE), { kind: 'single', range: { start: 0, end: 2 } });
  });

  it('ignores too many ranges', () => {
    const header = `bytes=${Array.from({ length: RANGE_SPECS_MAX + 1 }, () => '5000-').join(',')}`;
    assert.deepEqual(evaluateRange(header, SIZE), { kind: 'ignore' });
  });

  it('formats Content-Range', () => {
    assert.equal(contentRange({ start: 10, end: 20 }, SIZE), 'bytes 10-19/1000');
  });

  it('formats the unsatisfied Content-Range', () => {
    assert.equal(unsatisfiedContentRange(SIZE), 'bytes */1000');
  });
});
