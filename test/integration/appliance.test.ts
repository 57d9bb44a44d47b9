// The appliance end to end: real ping, curl and telnet against bin/minicache
// inside a namespace of its own, serving the fixture volumes.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decompressFixture, FIXTURES, PROJECT_ROOT, startAppliance, type ApplianceProcess } from '../helpers/appliance-process';
import { requireRoot, TestNamespace } from '../helpers/netns';

const DEMO_FILES = [
  { name: 'index.html', type: 'text/html', digest: '1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55' },
  { name: 'logo.png', type: 'image/png', digest: '02f7292c9e8b4014fd44f273a8086577860bcb4642ebc658b441f9500f3b2908' },
  { name: 'favicon.ico', type: 'image/x-icon', digest: 'cec89120781d9ee55dc69ec69314c257e99bb74df3e42126ac33c380604b3215' },
];
const BIG_BIN_SHA256 = '97177e57bfa8a41101d10da587e2fcfb068c1ec3cbf2222e5b782403397b8d9b';
/** O_DIRECT in the flags of /proc/PID/fdinfo (octal, x86-64 and arm64 differ; both listed). */
const O_DIRECT_FLAGS = process.arch === 'arm64' || process.arch === 'arm' ? 0o200000 : 0o40000;

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('appliance end to end', function () {
  this.timeout(60_000);
  let namespace: TestNamespace;
  let dir: string;
  let demo: ApplianceProcess;
  let mixed: ApplianceProcess;
  let striped: ApplianceProcess;
  let demoImage: string;

  async function curl(url: string, output: string): Promise<{ status: number; type: string }> {
    const result = await namespace.exec('curl', ['-sS', '--max-time', '20', '-o', output, '-w', '%{http_code} %{content_type}', url]);
    assert.equal(result.code, 0, `curl ${url} failed: ${result.stderr}`);
    const [status, type = ''] = result.stdout.trim().split(' ');
    return { status: Number(status), type: type.split(';')[0] };
  }

  before(async function () {
    requireRoot(this);
    namespace = await TestNamespace.create('e2e');
    await namespace.addBridge();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-e2e-'));
    demoImage = decompressFixture('demo.img', dir);
    const mixedImage = decompressFixture('mixed.img', dir);
    const member0 = decompressFixture('m0.img', dir);
    const member1 = decompressFixture('m1.img', dir);
    [demo, mixed, striped] = await Promise.all([
      startAppliance(namespace, ['-i', '192.168.122.2/24', '-b', demoImage, '--tap', 'mcdemo0', '--ctl', path.join(dir, 'demo.sock')]),
      // Checksums and segments computed by the appliance itself, where the others leave them to the kernel.
      startAppliance(namespace, ['-i', '192.168.122.3/24', '-b', mixedImage, '--tap', 'mcmixed0', '--ctl', path.join(dir, 'mixed.sock'), '--no-offload']),
      // Members in the reverse order: the volume is assembled from the labels.
      startAppliance(namespace, ['-i', '192.168.122.4/24', '-b', member1, '-b', member0, '--tap', 'mcstriped0', '--ctl', path.join(dir, 'striped.sock'), '-x', path.join(dir, 'stats.bin')]),
    ]);
  });

  after(async () => {
    for (const appliance of [demo, mixed, striped]) await appliance?.stop().catch(() => undefined);
    await namespace?.destroy();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs MAC, IP, TAP and volume when ready', () => {
    const ready = /ready: MAC ([0-9a-f]{2})(:[0-9a-f]{2}){5}, IP 192\.168\.122\.2\/24, TAP mcdemo0 on virbr0, volume 'DemoVol' \(3 objects\)/.exec(demo.output);
    assert.ok(ready, demo.output);
    // A random MAC is locally administered (bit 1) and unicast (bit 0 clear).
    assert.equal(parseInt(ready[1], 16) & 0x03, 0x02);
  });

  it('answers ping', async () => {
    const result = await namespace.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '192.168.122.2']);
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /3 packets transmitted, 3 received/);
  });

  it('serves the default object', async () => {
    const output = path.join(dir, 'default.out');
    const response = await curl('http://192.168.122.2/', output);
    assert.deepEqual(response, { status: 200, type: 'text/html' });
    assert.deepEqual(fs.readFileSync(output), fs.readFileSync(path.join(FIXTURES, 'demofs', 'index.html')));
  });

  for (const file of DEMO_FILES) {
    it(`serves ${file.name} by name`, async () => {
      const output = path.join(dir, `name-${file.name}`);
      const response = await curl(`http://192.168.122.2/${file.name}`, output);
      assert.deepEqual(response, { status: 200, type: file.type });
      assert.deepEqual(fs.readFileSync(output), fs.readFileSync(path.join(FIXTURES, 'demofs', file.name)));
    });

    it(`serves ${file.name} by digest`, async () => {
      const output = path.join(dir, `digest-${file.name}`);
      // Upper-case hex works as well as lower-case.
      const response = await curl(`http://192.168.122.2/?${file.digest.toUpperCase()}`, output);
      assert.deepEqual(response, { status: 200, type: file.type });
      assert.equal(sha256(output), file.digest);
    });
  }

  it('answers 404 for an unknown name', async () => {
    const output = path.join(dir, 'missing.out');
    const response = await curl('http://192.168.122.2/no-such-object.txt', output);
    assert.equal(response.status, 404);
    assert.equal(response.type, 'text/html');
  });

  it('serves a 300000-byte object intact', async () => {
    const output = path.join(dir, 'big-mixed.bin');
    const response = await curl('http://192.168.122.3/big.bin', output);
    assert.equal(response.status, 200);
    assert.equal(fs.statSync(output).size, 300_000);
    assert.equal(sha256(output), BIG_BIN_SHA256);
  });

  it('serves a 300000-byte object with offload', async () => {
    const output = path.join(dir, 'big-offload.bin');
    const response = await curl('http://192.168.122.4/big.bin', output);
    assert.equal(response.status, 200);
    assert.equal(sha256(output), BIG_BIN_SHA256);
  });

  it('serves a two-member combined volume', async () => {
    const output = path.join(dir, 'big-striped.bin');
    const response = await curl('http://192.168.122.4/big.bin', output);
    assert.equal(response.status, 200);
    assert.equal(sha256(output), BIG_BIN_SHA256);
  });

  it('serves two volumes at the same time', async () => {
    const outputs = [0, 1, 2, 3].map((i) => path.join(dir, `parallel-${i}`));
    const responses = await Promise.all([
      curl('http://192.168.122.2/logo.png', outputs[0]),
      curl('http://192.168.122.3/big.bin', outputs[1]),
      curl('http://192.168.122.2/', outputs[2]),
      curl('http://192.168.122.3/readme', outputs[3]),
    ]);
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 200, 200]);
    assert.equal(sha256(outputs[0]), DEMO_FILES[1].digest);
    assert.equal(sha256(outputs[1]), BIG_BIN_SHA256);
    assert.equal(sha256(outputs[2]), DEMO_FILES[0].digest);
    assert.deepEqual(fs.readFileSync(outputs[3]), fs.readFileSync(path.join(FIXTURES, 'content', 'notes.txt')));
  });

  it('lists the volume over telnet', async () => {
    // The real telnet client, fed with a command and exit a little later.
    const script = "(sleep 1; printf 'ls\\r\\n'; sleep 0.5; printf 'netstat\\r\\n'; sleep 1; printf 'exit\\r\\n'; sleep 1) | telnet 192.168.122.2 23";
    const result = await namespace.exec('sh', ['-c', script], { timeoutMs: 20_000 });
    assert.match(result.stdout, /µsh#/);
    for (const file of DEMO_FILES) assert.match(result.stdout, new RegExp(file.name.replace('.', '\\.')));
    assert.match(result.stdout, /1e833c10400fd4cd/);
    // netstat counts this very session among the established connections.
    assert.match(result.stdout, /connections: .*ESTABLISHED [1-9]/);
    assert.match(result.stdout, /ICMP: {4}echo requests \d+/);
  });

  it('reads the image with O_DIRECT', () => {
    const fdDir = `/proc/${demo.pid}/fd`;
    const descriptors = fs.readdirSync(fdDir).filter((fd) => {
      try {
        return fs.readlinkSync(path.join(fdDir, fd)) === demoImage;
      } catch {
        return false;
      }
    });
    assert.ok(descriptors.length > 0, `no descriptor of ${demoImage} in ${fdDir}`);
    for (const fd of descriptors) {
      const info = fs.readFileSync(`/proc/${demo.pid}/fdinfo/${fd}`, 'utf8');
      const flags = /flags:\s+([0-7]+)/.exec(info);
      assert.ok(flags, info);
      assert.equal(parseInt(flags[1], 8) & O_DIRECT_FLAGS, O_DIRECT_FLAGS, `flags ${flags[1]} of fd ${fd} lack O_DIRECT`);
    }
  });

  it('adds and removes objects through minicache-ctl', async () => {
    const ctl = (...args: string[]) => namespace.exec(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'minicache-ctl'), '--ctl', path.join(dir, 'striped.sock'), ...args]);
    const file = path.join(dir, 'added.txt');
    fs.writeFileSync(file, 'added through the control channel\n');
    const added = await ctl('add-obj', file, '-m', 'text/plain');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /remounted volume 'Striped' \(3 objects\)/);

    const output = path.join(dir, 'added.out');
    assert.deepEqual(await curl('http://192.168.122.4/added.txt', output), { status: 200, type: 'text/plain' });
    assert.equal(fs.readFileSync(output, 'utf8'), 'added through the control channel\n');

    const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const removed = await ctl('rm-obj', digest);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await curl('http://192.168.122.4/added.txt', output)).status, 404);
  });

  it('exports statistics and reads them back', async () => {
    const ctl = (...args: string[]) => namespace.exec(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'minicache-ctl'), '--ctl', path.join(dir, 'striped.sock'), ...args]);
    await curl('http://192.168.122.4/index.html', path.join(dir, 'stats-index.out'));
    const exported = await ctl('export-stats');
    assert.equal(exported.code, 0, exported.stderr);
    const stats = await ctl('get-stats');
    assert.equal(stats.code, 0, stats.stderr);
    const lines = stats.stdout.trim().split('\n');
    assert.equal(lines[0], 'x32k(hash);u4g(laccess);u4s(hits);u4s(miss);u4s(completed);u4s(0%);u4s(50%);u4s(100%)');
    const index = lines.find((line) => line.startsWith(DEMO_FILES[0].digest));
    assert.ok(index, stats.stdout);
    // At least the request above: hits and completed downloads are counted.
    const fields = index.split(';').map(Number);
    assert.ok(fields[2] >= 1 && fields[4] >= 1, index);
  });

  it('warns when its address is taken', async () => {
    const image = decompressFixture('crc.img', dir);
    const second = await startAppliance(namespace, ['-i', '192.168.122.2/24', '-b', image, '--tap', 'mcdup0', '-h']);
    try {
      await second.waitForOutput(/warn .*address conflict: [0-9a-f:]{17} also claims 192\.168\.122\.2/, 5_000);
    } finally {
      await second.stop();
    }
  });

  it('removes its TAP on SIGTERM', async () => {
    const image = decompressFixture('md5.img', dir);
    const appliance = await startAppliance(namespace, ['-i', '192.168.122.9/24', '-b', image, '--tap', 'mcterm0', '-h']);
    assert.ok((await namespace.interfaces()).includes('mcterm0'));
    assert.equal(await appliance.stop('SIGTERM'), 0);
    assert.ok(!(await namespace.interfaces()).includes('mcterm0'));
  });
});

describe('npm start', function () {
  this.timeout(120_000);
  let namespace: TestNamespace;

  before(async function () {
    requireRoot(this);
    namespace = await TestNamespace.create('start');
  });

  after(async () => {
    await namespace?.destroy();
  });

  it('serves the demo site on a bridge it creates and removes', async () => {
    assert.ok(!(await namespace.interfaces()).includes('virbr0'));
    const child = namespace.spawn('npm', ['start', '--silent'], { cwd: path.resolve(__dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    const { ApplianceProcess } = await import('../helpers/appliance-process');
    const appliance = new ApplianceProcess(child);
    await appliance.waitForOutput(/ready: .*IP 192\.168\.122\.2\/24/, 60_000);
    assert.ok((await namespace.interfaces()).includes('virbr0'));

    const page = await namespace.exec('curl', ['-sS', '--max-time', '10', 'http://192.168.122.2/']);
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /MiniCache/);
    const ping = await namespace.exec('ping', ['-c', '1', '-W', '2', '192.168.122.2']);
    assert.equal(ping.code, 0);

    // npm passes SIGTERM on to the appliance.
    await appliance.stop('SIGTERM', 20_000);
    const deadline = Date.now() + 10_000;
    while ((await namespace.interfaces()).includes('virbr0') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(!(await namespace.interfaces()).includes('virbr0'));
  });
});
