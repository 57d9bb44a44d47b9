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

for (const [title, args] of [
  ['with segmentation offload', []],
  ['without offload', ['--no-offload']],
] as const) {
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
      assert.ok(dropped.toPort > 0 && dropped.fromPort > 0, `the loss rules dropped nothing: ${JSON.stringify(dropped)}`);
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
    assert.ok(requests !== null && Number(requests[1]) > 1000, result.stdout);
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
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = await setup.curl(SMALL_URL, 'during-flood.out', [], 15);
    const curlEndedAt = Date.now();
    const flooded = await flood;
    assert.ok(curlEndedAt < floodEndedAt, `curl finished ${curlEndedAt - floodEndedAt} ms after the flood`);
    assert.equal(during.code, 0, `curl during the flood failed: ${during.stderr}`);
    assert.equal(during.status, 200);
    const transmitted = /(\d+) packets transmitted/.exec(flooded.stdout + flooded.stderr);
    assert.ok(transmitted !== null && Number(transmitted[1]) > 10_000, `hping3 sent too little: ${flooded.stdout}${flooded.stderr}`);

    await assertBigIntact(setup, 'after-flood.bin');
    assert.equal(setup.appliance.hasExited, false);
  });
});
