import * as assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/net/clock';
import { initialWindow, NewRenoCongestion, RecoveryAction } from '../../../../src/net/tcp/congestion';
import { IsnGenerator } from '../../../../src/net/tcp/isn';
import { REASSEMBLY_MAX_BLOCKS, ReassemblyQueue } from '../../../../src/net/tcp/reassembly';
import { RTO_INITIAL_MS, RTO_MAX_MS, RTO_MIN_MS, RtoEstimator } from '../../../../src/net/tcp/retransmit';
import { SackScoreboard } from '../../../../src/net/tcp/sack-scoreboard';
import { SendBuffer } from '../../../../src/net/tcp/send-buffer';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt, seqMax, seqMin } from '../../../../src/net/tcp/sequence';
import { COOKIE_MSS_TABLE, SYN_COOKIE_PERIOD_MS, SynCookies } from '../../../../src/net/tcp/syn-cookie';
import { DeadlineTimer } from '../../../../src/net/tcp/timer';

describe('tcp sequence arithmetic', () => {
  it('compares across the wrap', () => {
    assert.equal(seqLt(0xfffffff0, 0x10), true);
    assert.equal(seqGt(0x10, 0xfffffff0), true);
    assert.equal(seqLe(5, 5), true);
    assert.equal(seqGe(5, 5), true);
    assert.equal(seqLt(5, 5), false);
  });

  it('adds and subtracts modulo 2^32', () => {
    assert.equal(seqAdd(0xffffffff, 1), 0);
    assert.equal(seqAdd(0, -1), 0xffffffff);
    assert.equal(seqDiff(0x10, 0xfffffff0), 0x20);
    assert.equal(seqDiff(0xfffffff0, 0x10), -0x20);
  });

  it('picks the later and the earlier number', () => {
    assert.equal(seqMax(0xfffffff0, 0x10), 0x10);
    assert.equal(seqMin(0xfffffff0, 0x10), 0xfffffff0);
  });

  it('tests half-open ranges across the wrap', () => {
    assert.equal(seqInRange(0xffffffff, 0xfffffff0, 0x10), true);
    assert.equal(seqInRange(0x10, 0xfffffff0, 0x10), false);
    assert.equal(seqInRange(0xfffffff0, 0xfffffff0, 0x10), true);
  });
});

describe('tcp send buffer', () => {
  it('collects views across chunks without copying', () => {
    const buffer = new SendBuffer();
    const first = Buffer.from('abc');
    const second = Buffer.from('defgh');
    buffer.push(first);
    buffer.push(second);
    const views: Uint8Array[] = [];
    buffer.collect(1, 5, views);
    assert.equal(views.length, 2);
    assert.equal(views[0].buffer, first.buffer);
    assert.equal(Buffer.from(views[0]).toString(), 'bc');
    assert.equal(Buffer.from(views[1]).toString(), 'def');
  });

  it('returns a whole chunk as itself', () => {
    const buffer = new SendBuffer();
    const chunk = Buffer.from('whole');
    buffer.push(chunk);
    const views: Uint8Array[] = [];
    buffer.collect(0, 5, views);
    assert.equal(views[0], chunk);
  });

  it('drops acknowledged bytes from the front', () => {
    const buffer = new SendBuffer();
    buffer.push(Buffer.from('abc'));
    buffer.push(Buffer.from('defgh'));
    buffer.acknowledge(4);
    assert.equal(buffer.length, 4);
    assert.equal(Buffer.from(buffer.read(0, 4)).toString(), 'efgh');
  });

  it('rejects ranges outside the buffer', () => {
    const buffer = new SendBuffer();
    buffer.push(Buffer.from('abc'));
    assert.throws(() => buffer.collect(2, 2, []), RangeError);
    assert.throws(() => buffer.acknowledge(4), RangeError);
  });

  it('keeps offsets right over many chunks and compactions', () => {
    const buffer = new SendBuffer();
    let written = 0;
    let acknowledged = 0;
    for (let i = 0; i < 1000; i++) {
      const chunk = Buffer.alloc(7 + (i % 5));
      for (let j = 0; j < chunk.length; j++) chunk[j] = (written + j) & 0xff;
      written += chunk.length;
      buffer.push(chunk);
      if (i % 3 === 0) {
        const drop = Math.min(20, buffer.length);
        buffer.acknowledge(drop);
        acknowledged += drop;
      }
    }
    const bytes = buffer.read(0, buffer.length);
    for (let k = 0; k < bytes.length; k++) assert.equal(bytes[k], (acknowledged + k) & 0xff);
  });

  it('ignores empty chunks', () => {
    const buffer = new SendBuffer();
    buffer.push(new Uint8Array(0));
    assert.equal(buffer.length, 0);
  });
});

describe('tcp reassembly queue', () => {
  it('returns data once the gap before it fills', () => {
    const queue = new ReassemblyQueue();
    assert.equal(queue.insert(105, Buffer.from('fghij'), 100), true);
    assert.equal(queue.shift(100), undefined);
    assert.equal(Buffer.from(queue.shift(105) ?? []).toString(), 'fghij');
    assert.equal(queue.empty, true);
  });

  it('stores only the bytes not yet held', () => {
    const queue = new ReassemblyQueue();
    queue.insert(110, Buffer.from('KLMNO'), 100);
    queue.insert(105, Buffer.from('fghijxxxxxpq'), 100);
    assert.equal(queue.bytes, 12);
    assert.equal(Buffer.from(queue.shift(105) ?? []).toString(), 'fghij');
    assert.equal(Buffer.from(queue.shift(110) ?? []).toString(), 'KLMNO');
    assert.equal(Buffer.from(queue.shift(115) ?? []).toString(), 'pq');
  });

  it('reports a full duplicate as nothing new', () => {
    const queue = new ReassemblyQueue();
    queue.insert(110, Buffer.from('abc'), 100);
    assert.equal(queue.insert(110, Buffer.from('abc'), 100), false);
    assert.equal(queue.insert(111, Buffer.from('b'), 100), false);
  });

  it('trims a block that starts before RCV.NXT', () => {
    const queue = new ReassemblyQueue();
    queue.insert(105, Buffer.from('abcdef'), 100);
    assert.equal(Buffer.from(queue.shift(108) ?? []).toString(), 'def');
  });

  it('copies the payload', () => {
    const queue = new ReassemblyQueue();
    const payload = Buffer.from('abc');
    queue.insert(105, payload, 100);
    payload.fill(0);
    assert.equal(Buffer.from(queue.shift(105) ?? []).toString(), 'abc');
  });

  it('works across the sequence wrap', () => {
    const queue = new ReassemblyQueue();
    queue.insert(2, Buffer.from('cd'), 0xfffffffe);
    queue.insert(0, Buffer.from('ab'), 0xfffffffe);
    assert.equal(Buffer.from(queue.shift(0) ?? []).toString(), 'ab');
    assert.equal(Buffer.from(queue.shift(2) ?? []).toString(), 'cd');
  });

  it('bounds the number of blocks', () => {
    const queue = new ReassemblyQueue();
    for (let i = 0; i < REASSEMBLY_MAX_BLOCKS + 10; i++) queue.insert(1000 + i * 2, Buffer.from('x'), 0);
    assert.equal(queue.blockCount, REASSEMBLY_MAX_BLOCKS);
  });

  it('reports SACK blocks with the latest first', () => {
    const queue = new ReassemblyQueue();
    queue.insert(110, Buffer.from('aa'), 100);
    queue.insert(120, Buffer.from('bb'), 100);
    queue.insert(112, Buffer.from('cc'), 100);
    const blocks: number[] = [];
    queue.sackBlocks(100, 4, blocks);
    assert.deepEqual(blocks, [110, 114, 120, 122]);
    const limited: number[] = [];
    queue.sackBlocks(100, 1, limited);
    assert.deepEqual(limited, [110, 114]);
  });
});

describe('tcp sack scoreboard', () => {
  const MSS = 100;

  it('merges blocks and ignores invalid ones', () => {
    const board = new SackScoreboard();
    board.update([1200, 1300, 1100, 1200, 900, 950, 1500, 1400, 1300, 9000], 1000, 2000);
    assert.deepEqual([...board.sackedRanges], [1100, 1300]);
  });

  it('drops ranges below the cumulative ACK', () => {
    const board = new SackScoreboard();
    board.update([1100, 1200, 1300, 1400], 1000, 2000);
    board.acknowledge(1150);
    assert.deepEqual([...board.sackedRanges], [1150, 1200, 1300, 1400]);
  });

  it('declares a hole lost after three SACKed segments above it', () => {
    const board = new SackScoreboard();
    board.update([1100, 1200], 1000, 2000);
    assert.equal(board.isLost(1000, MSS), false);
    board.update([1100, 1300], 1000, 2000);
    assert.equal(board.isLost(1000, MSS), false);
    board.update([1100, 1400], 1000, 2000);
    assert.equal(board.isLost(1000, MSS), true);
  });

  it('counts pipe without SACKed and lost bytes', () => {
    const board = new SackScoreboard();
    // Sent 1000..1600; 1100..1400 SACKed: 1000..1100 is lost, 1400..1600 is in flight.
    board.update([1100, 1400], 1000, 1600);
    assert.equal(board.pipe(1000, 1600, MSS), 200);
    board.markRetransmitted(1100);
    assert.equal(board.pipe(1000, 1600, MSS), 300);
  });

  it('finds the next lost hole above the retransmitted ones', () => {
    const board = new SackScoreboard();
    board.update([1100, 1200, 1300, 1600], 1000, 1700);
    const first = board.nextLost(1000, 1700, MSS);
    assert.deepEqual({ ...first }, { start: 1000, end: 1100 });
    board.markRetransmitted(1100);
    const second = board.nextLost(1000, 1700, MSS);
    assert.deepEqual({ ...second }, { start: 1200, end: 1300 });
    board.markRetransmitted(1300);
    assert.equal(board.nextLost(1000, 1700, MSS), undefined);
  });
});

describe('tcp retransmission timeout', () => {
  it('starts at RTO_INITIAL_MS', () => {
    assert.equal(new RtoEstimator().rto, RTO_INITIAL_MS);
  });

  it('follows RFC 6298 for the first and later samples', () => {
    const estimator = new RtoEstimator();
    estimator.sample(400);
    assert.equal(estimator.srtt, 400);
    assert.equal(estimator.rttvar, 200);
    assert.equal(estimator.rto, 1200);
    estimator.sample(200);
    assert.equal(estimator.rttvar, 0.75 * 200 + 0.25 * 200);
    assert.equal(estimator.srtt, 0.875 * 400 + 0.125 * 200);
    assert.equal(estimator.rto, 375 + 4 * 200);
  });

  it('clamps to the floor and the ceiling', () => {
    const estimator = new RtoEstimator();
    estimator.sample(1);
    assert.equal(estimator.rto, RTO_MIN_MS);
    for (let i = 0; i < 20; i++) estimator.backOff();
    assert.equal(estimator.rto, RTO_MAX_MS);
  });

  it('doubles on back-off and resets on a sample', () => {
    const estimator = new RtoEstimator();
    estimator.backOff();
    assert.equal(estimator.rto, 2000);
    estimator.backOff();
    assert.equal(estimator.rto, 4000);
    estimator.sample(100);
    assert.equal(estimator.backoffs, 0);
    assert.equal(estimator.rto, 300);
  });
});

describe('tcp congestion control', () => {
  it('computes the RFC 3390 initial window', () => {
    assert.equal(initialWindow(1460), 4380);
    assert.equal(initialWindow(536), 2144);
    assert.equal(initialWindow(2000), 4380);
    assert.equal(initialWindow(4000), 8000);
  });

  it('starts with one segment after a lost SYN', () => {
    assert.equal(new NewRenoCongestion(1000, 0, true).cwnd, 1000);
  });

  it('grows by one segment per window in congestion avoidance', () => {
    const congestion = new NewRenoCongestion(1000, 0, false);
    congestion.ssthresh = 4000;
    congestion.cwnd = 4000;
    for (let i = 1; i <= 4; i++) congestion.onNewAck(i * 1000, 1000, 3000);
    assert.equal(congestion.cwnd, 5000);
  });

  it('collapses to one segment on a timeout', () => {
    const congestion = new NewRenoCongestion(1000, 0, false);
    congestion.cwnd = 10000;
    congestion.onRetransmissionTimeout(8000, 9000, true);
    assert.equal(congestion.cwnd, 1000);
    assert.equal(congestion.ssthresh, 4000);
    congestion.onRetransmissionTimeout(1000, 9000, false);
    assert.equal(congestion.ssthresh, 4000, 'kept on a repeated timeout');
  });

  it('refuses a fast retransmit below recover after a timeout', () => {
    const congestion = new NewRenoCongestion(1000, 0, false);
    congestion.onRetransmissionTimeout(8000, 9001, true);
    for (let i = 0; i < 2; i++) congestion.onDuplicateAck(3001, 9001, 6000);
    assert.equal(congestion.onDuplicateAck(3001, 9001, 6000), RecoveryAction.NONE);
  });
});

describe('tcp initial sequence numbers', () => {
  it('differ between consecutive connections by non-constant amounts', () => {
    const clock = new ManualClock();
    const generator = new IsnGenerator(Buffer.from('0123456789abcdef0123456789abcdef'), clock);
    const isns: number[] = [];
    for (let port = 40000; port < 40010; port++) {
      isns.push(generator.next(0x0a000001, 80, 0x0a000002, port));
      clock.advance(1);
    }
    const differences = new Set(isns.slice(1).map((isn, i) => (isn - isns[i]) >>> 0));
    assert.equal(differences.size, isns.length - 1);
  });

  it('grows with the clock on one 4-tuple', () => {
    const clock = new ManualClock();
    const generator = new IsnGenerator(Buffer.alloc(32, 9), clock);
    const first = generator.next(1, 2, 3, 4);
    clock.advance(1000);
    const second = generator.next(1, 2, 3, 4);
    assert.equal((second - first) >>> 0, 250_000);
  });

  it('depends on the key', () => {
    const clock = new ManualClock();
    const a = new IsnGenerator(Buffer.alloc(32, 1), clock).next(1, 2, 3, 4);
    const b = new IsnGenerator(Buffer.alloc(32, 2), clock).next(1, 2, 3, 4);
    assert.notEqual(a, b);
  });

  it('rejects a short key', () => {
    assert.throws(() => new IsnGenerator(Buffer.alloc(8), new ManualClock()), /at least 16/);
  });
});

describe('tcp syn cookies', () => {
  it('round-trips the MSS through the cookie', () => {
    const clock = new ManualClock();
    const cookies = new SynCookies(Buffer.alloc(32, 5), clock);
    const { isn, mss } = cookies.encode(1, 80, 2, 5000, 12345, 1400);
    assert.equal(mss, 1400);
    assert.equal(cookies.decode(1, 80, 2, 5000, 12345, isn), 1400);
  });

  it('picks the largest table MSS not above the peer MSS', () => {
    const cookies = new SynCookies(Buffer.alloc(32, 5), new ManualClock());
    assert.equal(cookies.encode(1, 80, 2, 5000, 1, 1459).mss, 1452);
    assert.equal(cookies.encode(1, 80, 2, 5000, 1, 100).mss, COOKIE_MSS_TABLE[0]);
  });

  it('rejects a cookie for another 4-tuple or peer ISN', () => {
    const cookies = new SynCookies(Buffer.alloc(32, 5), new ManualClock());
    const { isn } = cookies.encode(1, 80, 2, 5000, 12345, 1460);
    assert.equal(cookies.decode(1, 80, 2, 5001, 12345, isn), 0);
    assert.equal(cookies.decode(1, 80, 2, 5000, 12346, isn), 0);
    assert.equal(cookies.decode(1, 80, 2, 5000, 12345, isn ^ 1), 0);
  });

  it('expires after two periods', () => {
    const clock = new ManualClock();
    const cookies = new SynCookies(Buffer.alloc(32, 5), clock);
    const { isn } = cookies.encode(1, 80, 2, 5000, 7, 1460);
    clock.advance(SYN_COOKIE_PERIOD_MS);
    assert.equal(cookies.decode(1, 80, 2, 5000, 7, isn), 1460);
    clock.advance(SYN_COOKIE_PERIOD_MS);
    assert.equal(cookies.decode(1, 80, 2, 5000, 7, isn), 0);
  });
});

describe('tcp deadline timer', () => {
  it('fires once at the deadline', () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new DeadlineTimer(clock, () => fired++);
    timer.arm(100);
    clock.advance(99);
    assert.equal(fired, 0);
    clock.advance(1);
    assert.equal(fired, 1);
    assert.equal(timer.armed, false);
  });

  it('moves a deadline later without a new clock timer', () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new DeadlineTimer(clock, () => fired++);
    timer.arm(100);
    for (let i = 0; i < 50; i++) {
      clock.advance(10);
      timer.arm(100);
    }
    assert.equal(clock.pendingTimers(), 1);
    clock.advance(99);
    assert.equal(fired, 0);
    clock.advance(1);
    assert.equal(fired, 1);
  });

  it('moves a deadline earlier', () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new DeadlineTimer(clock, () => fired++);
    timer.arm(1000);
    timer.arm(10);
    clock.advance(10);
    assert.equal(fired, 1);
  });

  it('does not fire after cancel', () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new DeadlineTimer(clock, () => fired++);
    timer.arm(10);
    timer.cancel();
    clock.advance(100);
    assert.equal(fired, 0);
    timer.arm(10);
    timer.dispose();
    clock.advance(100);
    assert.equal(fired, 0);
    assert.equal(clock.pendingTimers(), 0);
  });
});
