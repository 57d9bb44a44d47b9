import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ManualClock } from '../../../../src/net/clock';
import type { TcpConnection } from '../../../../src/net/tcp/connection';
import type { TcpLayerOptions } from '../../../../src/net/tcp/layer';
import { TcpState } from '../../../../src/net/tcp/state';
import { RecordingHandler } from '../../../helpers/tcp-harness';
import { ADDRESS_B, TcpLink, type FaultModel } from '../../../helpers/tcp-link';

const MIB = 1024 * 1024;
/** Upper bound on simulated time per transfer. */
const SIMULATED_LIMIT_MS = 30 * 60 * 1000;

/** Deterministic payload: bytes of a counter, so any misplaced byte changes the digest. */
function pattern(length: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) data.writeUInt32BE(i >>> 2, i);
  return data;
}

interface TransferResult {
  received: Buffer;
  simulatedMs: number;
  link: TcpLink;
  sender: TcpConnection;
  receiverHandler: RecordingHandler;
  senderHandler: RecordingHandler;
}

/**
 * Sends `data` from A (active open, written in 64 KiB chunks as the send
 * buffer drains) to B, then closes, and runs the manual clock until B has
 * seen the FIN or the simulated time limit passes.
 */
function transfer(data: Buffer, faults: FaultModel, layer: Partial<TcpLayerOptions> = {}): TransferResult {
  const clock = new ManualClock();
  const link = new TcpLink({ clock, latencyMs: 5, faults, layer });
  const receiverHandler = new RecordingHandler();
  link.b.listen({
    port: 80,
    handler: { onConnection: (connection) => connection.attach(receiverHandler) },
  });

  const senderHandler = new RecordingHandler();
  let offset = 0;
  const chunk = 64 * 1024;
  const sender = link.a.connect({ remoteAddress: ADDRESS_B, remotePort: 80 }, senderHandler);
  const pump = (): void => {
    while (offset < data.length && sender.writable && !sender.closed) {
      sender.write(data.subarray(offset, offset + chunk));
      offset += chunk;
    }
    if (offset >= data.length && !sender.closed && sender.state !== TcpState.FIN_WAIT_1) sender.end();
  };
  senderHandler.onEstablished = () => pump();
  senderHandler.onWritable = () => pump();

  const start = clock.now();
  while (receiverHandler.ended === 0 && clock.now() - start < SIMULATED_LIMIT_MS && receiverHandler.closed.length === 0) {
    clock.advance(10);
  }
  link.close();
  return {
    received: Buffer.concat(receiverHandler.data),
    simulatedMs: clock.now() - start,
    link,
    sender,
    receiverHandler,
    senderHandler,
  };
}

function digest(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('tcp over a lossy link', function () {
  this.timeout(60_000);

  const cases: Array<[string, FaultModel]> = [
    ['1% loss', { drop: 0.01, seed: 101 }],
    ['5% loss', { drop: 0.05, seed: 202 }],
    ['10% loss', { drop: 0.1, seed: 303 }],
    ['loss, duplicates, reordering and corruption', { drop: 0.03, duplicate: 0.03, reorder: 0.05, corrupt: 0.02, seed: 404 }],
  ];

  for (const [name, faults] of cases) {
    it(`delivers 4 MiB intact with ${name}`, () => {
      const data = pattern(4 * MIB);
      const result = transfer(data, faults);
      assert.equal(result.receiverHandler.ended, 1, `FIN received within ${SIMULATED_LIMIT_MS} ms simulated`);
      assert.equal(result.received.length, data.length);
      assert.equal(digest(result.received), digest(data));
      assert.ok(result.link.stats.dropped + result.link.stats.corrupted > 0, 'the fault model was active');
      assert.deepEqual(result.receiverHandler.closed, []);
    });
  }

  it('delivers 2 MiB at 5% loss without SACK, timestamps or window scaling', () => {
    const data = pattern(2 * MIB);
    const result = transfer(data, { drop: 0.05, seed: 505 }, { sack: false, timestamps: false, windowScaling: false });
    assert.equal(result.received.length, data.length);
    assert.equal(digest(result.received), digest(data));
  });

  it('moves 8 MiB over a clean link', () => {
    const data = pattern(8 * MIB);
    const result = transfer(data, {});
    assert.equal(digest(result.received), digest(data));
    assert.equal(result.link.a.counters().retransmittedSegments, 0);
    // 8 MiB at 10 ms RTT with a 256 KiB window takes about 32 RTTs.
    assert.ok(result.simulatedMs < 2000, `took ${result.simulatedMs} ms simulated`);
  });
});
