// The appliance's TCP under loss and load, each suite in a namespace of its
// own: 5% random loss each way, a reader that stalls, 1500 short
// connections in a row, 200 concurrent keep-alive clients, and a SYN flood
// from random sources. Every load is bounded in count and time.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPLIANCE_IP, ApplianceNamespace, BIG_BIN_BYTES, BIG_BIN_SHA256, TAP_NAME } from '../helpers/appliance-namespace';
import { requireRoot } from '../helpers/netns';
import { addRandomLoss, lossCounters } from '../helpers/nft-loss';
import { runPythonScript } from '../helpers/scapy';

const BIG_URL = `http://${APPLIANCE_IP}/big.bin`;
const SMALL_URL = `http://${APPLIANCE_IP}/readme`;
const LOSS_PERCENT = 5;
const LOSS_FETCHES = 5;
const SHORT_CONNECTIONS = 1500;
const FLOOD_SECONDS = 5;

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function assertBigIntact(setup: ApplianceNamespace, name: string, extraArgs: readonly string[] = []): Promise<void> {
  const response = await setup.curl(BIG_URL, name, extraArgs);
  assert.equal(response.code, 0, `curl failed: ${response.stderr}`);
  assert.equal(response.status, 200);
  const file = path.join(setup.dir, name);
  assert.equal(fs.statSync(file).size, BIG_BIN_BYTES);
  assert.equal(sha256(file), BIG_BIN_SHA256);
}

const LOSS_SETUPS: ReadonlyArray<{ title: string; args: readonly string[]; offload: boolean }> = [
  { title: 'with segmentation offload', args: [], offload: true },
  { title: 'without offload', args: ['--no-offload'], offload: false },
];

for (const { title, args, offload } of LOSS_SETUPS) {
  describe(`stack under load: ${LOSS_PERCENT}% loss each way ${title}`, function () {
    this.timeout(240_000);
    let setup: ApplianceNamespace;

    before(async function () {
      requireRoot(this);
      setup = await ApplianceNamespace.create('loss', { args });
      await addRandomLoss(setup.namespace, TAP_NAME, LOSS_PERCENT);
    });

    after(async () => {
      await setup?.destroy();
    });

    it(`delivers 300 KB intact ${LOSS_FETCHES} times out of ${LOSS_FETCHES}`, async () => {
      for (let i = 0; i < LOSS_FETCHES; i++) await assertBigIntact(setup, `lossy-${i}.bin`);
      const dropped = await lossCounters(setup.namespace);
      assert.ok(dropped.toPort > 0, `nothing dropped towards the appliance: ${JSON.stringify(dropped)}`);
      // With segmentation offload the appliance sends a few dozen 64 KB frames
      // in all, so that none of them being dropped is no surprise.
      if (offload) return;
      assert.ok(dropped.fromPort > 0, `nothing dropped from the appliance: ${JSON.stringify(dropped)}`);
    });
  });
}

describe('stack under load: slow readers', function () {
  this.timeout(120_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('slow');
  });

  after(async () => {
    await setup?.destroy();
  });

  it('delivers every byte to a reader that stalls for 6 s', async () => {
    const result = await runPythonScript<{ status: string; length: number; sha256: string }>(setup.namespace, 'http_clients.py', ['stall', APPLIANCE_IP, '80', '/big.bin', '6']);
    assert.equal(result.status, 'HTTP/1.1 200 OK');
    assert.equal(result.length, BIG_BIN_BYTES);
    assert.equal(result.sha256, BIG_BIN_SHA256);
  });

  it('delivers every byte to a reader limited to 30 KB/s', async () => {
    await assertBigIntact(setup, 'limited.bin', ['--limit-rate', '30k']);
  });
});

describe('stack under load: short connections', function () {
  this.timeout(180_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('short');
  });

  after(async () => {
    await setup?.destroy();
  });

  it(`serves ${SHORT_CONNECTIONS} connections in a row`, async () => {
    const result = await runPythonScript<{ succeeded: number; errors: Record<string, number>; seconds: number }>(
      setup.namespace,
      'http_clients.py',
      ['sequential', APPLIANCE_IP, '80', '/readme', String(SHORT_CONNECTIONS)],
      150_000,
    );
    assert.deepEqual(result.errors, {});
    assert.equal(result.succeeded, SHORT_CONNECTIONS);
    assert.ok(result.seconds < 120, `took ${result.seconds} s`);
  });
});

describe('stack under load: concurrent keep-alive clients', function () {
  this.timeout(120_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('wrk');
  });

  after(async () => {
    await setup?.destroy();
  });

  it('serves 200 wrk connections without socket errors', async () => {
    const result = await setup.namespace.exec('wrk', ['-c200', '-t2', '-d5s', SMALL_URL], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /Socket errors/, result.stdout);
    assert.doesNotMatch(result.stdout, /Non-2xx or 3xx responses/, result.stdout);
    const requests = /(\d+) requests in/.exec(result.stdout);
    assert.ok(requests !== null, result.stdout);
    assert.ok(Number(requests[1]) > 1000, result.stdout);
  });
});

describe('stack under load: SYN flood', function () {
  this.timeout(120_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('flood');
  });

  after(async () => {
    await setup?.destroy();
  });

  it('serves a normal client during a SYN flood', async () => {
    const flood = setup.namespace.exec('timeout', [String(FLOOD_SECONDS), 'hping3', '--rand-source', '-S', '-p', '80', '--flood', APPLIANCE_IP], {
      timeoutMs: (FLOOD_SECONDS + 10) * 1000,
    });
    let floodEndedAt = Infinity;
    void flood.then(() => {
      floodEndedAt = Date.now();
    });
    // Early enough that curl can retransmit its SYN twice (after 1 s and 2 s more) before the flood ends.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const curlStartedAt = Date.now();
    const during = await setup.namespace.exec('curl', ['-sS', '--max-time', '15', '-o', '/dev/null', '-w', '%{http_code} %{time_connect} %{time_total}', SMALL_URL], {
      timeoutMs: 25_000,
    });
    const flooded = await flood;
    assert.equal(during.code, 0, `curl during the flood failed: ${during.stderr}`);
    const [status, connectSeconds, totalSeconds] = during.stdout.trim().split(' ').map(Number);
    assert.equal(status, 200);
    // The handshake completed while the flood ran; the response may finish just after it when a segment was lost.
    const connectedAt = curlStartedAt + connectSeconds * 1000;
    assert.ok(connectedAt < floodEndedAt, `curl connected ${connectedAt - floodEndedAt} ms after the flood (total ${totalSeconds} s)`);
    const transmitted = /(\d+) packets transmitted/.exec(flooded.stdout + flooded.stderr);
    assert.ok(transmitted !== null, `no hping3 statistics: ${flooded.stdout}${flooded.stderr}`);
    assert.ok(Number(transmitted[1]) > 10_000, `hping3 sent too little: ${flooded.stdout}`);

    await assertBigIntact(setup, 'after-flood.bin');
    assert.equal(setup.appliance.hasExited, false);
  });
});
