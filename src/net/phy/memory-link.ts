// Two frame devices joined back to back in memory, for tests: what one end
// sends, the other receives on a later turn of the event loop, in batches.
import { flattenFrame, type FrameDevice, type FrameReceiver, type OutgoingFrame } from './device';

class MemoryEnd implements FrameDevice {
  peer: MemoryEnd | undefined;
  private receiver: FrameReceiver | undefined;
  private pending: Uint8Array[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    readonly name: string,
    readonly mtu: number,
  ) {}

  start(receiver: FrameReceiver): void {
    this.receiver = receiver;
    this.schedule();
  }

  send(frames: readonly OutgoingFrame[]): number {
    const peer = this.peer;
    if (this.closed || peer === undefined || peer.closed) return 0;
    for (const frame of frames) {
      // Copied, because the sender may reuse its header buffers.
      peer.pending.push(Uint8Array.from(flattenFrame(frame)));
    }
    peer.schedule();
    return frames.length;
  }

  close(): void {
    this.closed = true;
    this.pending = [];
  }

  private schedule(): void {
    if (this.scheduled || this.receiver === undefined || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed || this.receiver === undefined) return;
      const batch = this.pending;
      this.pending = [];
      if (batch.length > 0) this.receiver(batch);
    });
  }
}

/** Returns the two ends of a new in-memory link. */
export function createMemoryLink(mtu = 1500): [FrameDevice, FrameDevice] {
  const a = new MemoryEnd('mem0', mtu);
  const b = new MemoryEnd('mem1', mtu);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
