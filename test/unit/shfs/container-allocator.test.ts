import * as assert from 'node:assert/strict';
import { ContainerAllocator } from '../../../src/shfs/writer/container-allocator';

/** Creates an allocator for a 1023-chunk volume with labels, configuration and a 16-chunk table registered. */
function volume(strategy: 'first-fit' | 'best-fit' = 'first-fit'): ContainerAllocator {
  const allocator = new ContainerAllocator(1023, strategy);
  allocator.register(0, 2);
  allocator.register(2, 16);
  return allocator;
}

describe('shfs container allocator', () => {
  it('starts after the metadata', () => {
    assert.equal(volume().findFree(74), 18);
  });

  it('gives an empty object the first free chunk', () => {
    const allocator = volume();
    allocator.register(18, 74);
    assert.equal(allocator.findFree(0), 92);
    allocator.register(92, 0);
    // The next object starts at the same chunk as the empty one.
    assert.equal(allocator.findFree(4), 92);
    allocator.register(92, 4);
    assert.equal(allocator.findFree(1), 96);
  });

  it('keeps zero-length ranges before ranges at the same chunk', () => {
    const allocator = volume();
    allocator.register(92, 4);
    allocator.register(92, 0);
    assert.deepEqual(allocator.ranges().slice(2), [
      { start: 92, end: 96 },
      { start: 92, end: 92 },
    ]);
  });

  it('reuses a freed area first', () => {
    const allocator = volume();
    allocator.register(18, 74);
    allocator.register(92, 4);
    assert.equal(allocator.unregister(18, 74), true);
    assert.equal(allocator.findFree(10), 18);
    assert.equal(allocator.findFree(75), 96);
  });

  it('splits free space at an empty container', () => {
    const allocator = volume();
    allocator.register(18, 4);
    allocator.register(22, 0);
    allocator.register(22, 10);
    allocator.unregister(18, 4);
    allocator.unregister(22, 10);
    // Chunks 18..21 are free before the empty container at 22, so 5 chunks start at 22.
    assert.equal(allocator.findFree(4), 18);
    assert.equal(allocator.findFree(5), 22);
  });

  it('reports no space as 0', () => {
    const allocator = volume();
    allocator.register(18, 1005);
    assert.equal(allocator.findFree(1), 0);
    // Not even an empty object fits a full volume, as in the original.
    assert.equal(allocator.findFree(0), 0);
  });

  it('rejects unknown ranges', () => {
    assert.equal(volume().unregister(40, 3), false);
  });

  it('picks the smallest fitting area with best fit', () => {
    const allocator = volume('best-fit');
    allocator.register(18, 10);
    allocator.register(30, 10);
    allocator.register(41, 100);
    // Free: 28..30 (2), 40..41 (1), 141..1023 (882).
    assert.equal(allocator.findFree(1), 40);
    assert.equal(allocator.findFree(2), 28);
    assert.equal(allocator.findFree(3), 141);
  });
});
