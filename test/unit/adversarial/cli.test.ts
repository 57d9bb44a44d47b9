// Bad command lines and paths for bin/minicache and bin/minicache-ctl, run
// without network: every case fails while the volume is mounted, before any
// interface is touched. As a safeguard each run also names a bridge that does
// not exist, so an appliance that got past its volume would stop there
// without creating a TAP. Tests marked skip describe bugs in src/appliance
// and src/cli/minicache*.ts that are left to their owner.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseCommandLine, UsageError } from '../../../src/appliance/options';
import { FIXTURES_DIR } from '../../helpers/fixtures-dir';

const BIN = path.resolve(__dirname, '..', '..', '..', '..', 'bin');
/** A bridge name no test machine has. */
const MISSING_BRIDGE = 'mcadvnobr0';
/** Time after which a run counts as hung. */
const RUN_TIMEOUT_MS = 10_000;

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(program: string, args: string[]): RunResult {
  const result = spawnSync(process.execPath, [path.join(BIN, program), ...args], { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the appliance with `-b` for each device and the safeguards. */
function runWithDevices(devices: string[], extra: string[] = []): RunResult {
  return run('minicache', [...devices.flatMap((device) => ['-b', device]), '-h', '--bridge', MISSING_BRIDGE, ...extra]);
}

describe('adversarial command lines', () => {
  let dir: string;
  let demo: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
    demo = path.join(dir, 'demo.img');
    fs.writeFileSync(demo, gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', 'demo.img.gz'))));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('minicache -b', () => {
    it('rejects a folder', () => {
      const result = runWithDevices([dir]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `minicache: ${dir} is neither a regular file nor a block device\n`);
    });

    it('rejects /dev/null', () => {
      const result = runWithDevices(['/dev/null']);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, 'minicache: /dev/null is neither a regular file nor a block device\n');
    });

    it('rejects a FIFO without waiting for a writer', () => {
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const result = runWithDevices([fifo]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `minicache: ${fifo} is neither a regular file nor a block device\n`);
    });

    it('rejects an empty file', () => {
      const empty = path.join(dir, 'empty.img');
      fs.writeFileSync(empty, '');
      const result = runWithDevices([empty]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `minicache: ${empty}: not an SHFS volume member (0 bytes, too small for a label)\n`);
    });

    it('rejects a file of zeros', () => {
      const zeros = path.join(dir, 'zeros.img');
      fs.writeFileSync(zeros, Buffer.alloc(64 * 1024));
      const result = runWithDevices([zeros]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `minicache: ${zeros}: not an SHFS volume member (no SHFS label found)\n`);
    });

    it('rejects an image given twice', () => {
      const result = runWithDevices([demo, demo]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^minicache: .*demo\.img is the same member of volume 'DemoVol' .* \(given twice\)\n$/);
    });

    it('rejects an image and a missing file', () => {
      const result = runWithDevices([demo, path.join(dir, 'absent.img')]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^minicache: .*absent\.img.*\n$/);
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    });

    it('rejects a damaged configuration', () => {
      const damaged = path.join(dir, 'damaged.img');
      const bytes = fs.readFileSync(demo);
      // Digest length 0 in the configuration header at the start of chunk 1.
      bytes[16384 + 17] = 0;
      fs.writeFileSync(damaged, bytes);
      const result = runWithDevices([damaged]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `minicache: ${damaged}: invalid digest length 0 in the configuration header\n`);
    });

    it('rejects an empty path', () => {
      const result = run('minicache', ['-b', '']);
      assert.equal(result.status, 2);
      assert.equal(result.stderr.split('\n')[0], 'minicache: -b: empty path');
    });
  });

  describe('minicache options', () => {
    const bad: Array<[string[], string]> = [
      [['-c', '99999999999999999999'], '-c 99999999999999999999: invalid connection limit: expected 1 to 65535'],
      [['-s', '3601'], '-s 3601: invalid delay: expected a number of seconds (e.g. -s 5)'],
      [['-s', '-1'], "Option '-s' argument is ambiguous."],
      [['--mtu', '1e3'], '--mtu 1e3: invalid MTU: expected 576 to 9000 bytes'],
      [['--http-port', '0'], '--http-port 0: invalid port: expected 1 to 65535'],
      [['-i', '10.0.0.2/33'], '-i 10.0.0.2/33: invalid host IP in CIDR notation (e.g. 192.168.122.2/24)'],
      [['-i', '127.0.0.2/8'], '-i 127.0.0.2/8: not a usable unicast host address'],
      [['--tap', ''], '--tap : a TAP name has 1 to 15 characters'],
    ];
    for (const [args, message] of bad) {
      it(`rejects ${args.join(' ')}`, () => {
        const result = run('minicache', args);
        assert.equal(result.status, 2);
        assert.equal(result.stderr.split('\n')[0], `minicache: ${message}`);
      });
    }

    it('rejects a cache larger than the machine', () => {
      assert.throws(() => parseCommandLine(['--cache-size', '99999999999G']), UsageError);
    });

    it('rejects a TAP name the kernel refuses', () => {
      assert.throws(() => parseCommandLine(['--tap', 'a/b']), UsageError);
    });
  });

  describe('minicache-ctl', () => {
    it('rejects a missing option value', () => {
      const result = run('minicache-ctl', ['--ctl']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /^minicache-ctl: Option '--ctl <value>' argument missing\n/);
    });

    it('rejects a missing action', () => {
      const result = run('minicache-ctl', ['--ctl', path.join(dir, 'ctl.sock'), '--']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /^minicache-ctl: missing ACTION\n/);
    });

    it('rejects --ctl with --tap', () => {
      const result = run('minicache-ctl', ['--ctl', 'a', '--tap', 'b', 'status']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /^minicache-ctl: --ctl and --tap exclude each other\n/);
    });

    it('reports a regular file as socket', () => {
      const file = path.join(dir, 'not-a-socket');
      fs.writeFileSync(file, 'x');
      const result = run('minicache-ctl', ['--ctl', file, 'status']);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^minicache-ctl: cannot reach the appliance at .*not-a-socket: connect ECONNREFUSED/);
      assert.equal(fs.readFileSync(file, 'utf8'), 'x');
    });

    it('rejects an inherited property name as action', () => {
      const result = run('minicache-ctl', ['--ctl', path.join(dir, 'absent.sock'), 'toString']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /^minicache-ctl: unknown action 'toString'/);
    });
  });
});
