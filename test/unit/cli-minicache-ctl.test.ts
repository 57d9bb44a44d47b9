// minicache-ctl against a control channel in a temporary folder (a UNIX
// socket; no network).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlChannel, type ControlRequest } from '../../src/appliance/control-channel';
import { createLogger } from '../../src/log';

const CTL = path.resolve(__dirname, '..', '..', '..', 'bin', 'minicache-ctl');

function runCtl(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CTL, ...args], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('minicache-ctl', () => {
  let dir: string;
  let channel: ControlChannel;
  const requests: ControlRequest[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-ctl-'));
    channel = await ControlChannel.open(
      path.join(dir, 'ctl.sock'),
      async (request) => {
        requests.push(request);
        if (request.action === 'umount') throw new Error('no volume is mounted');
        return `done: ${request.action}`;
      },
      createLogger('test-control'),
    );
  });

  after(async () => {
    await channel.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes options after the action to it', async () => {
    requests.length = 0;
    const result = await runCtl(['--ctl', path.join(dir, 'ctl.sock'), 'add-obj', 'style.css', '-m', 'text/css', '-n', 'css/style.css'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'done: add-obj\n');
    assert.deepEqual(requests, [{ action: 'add-obj', args: [path.join(dir, 'style.css'), '-m', 'text/css', '-n', 'css/style.css'] }]);
  });

  it('resolves mount paths from its own folder', async () => {
    requests.length = 0;
    const result = await runCtl(['--ctl', path.join(dir, 'ctl.sock'), 'mount', 'a.img', '/abs/b.img'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(requests[0].args, [path.join(dir, 'a.img'), '/abs/b.img']);
  });

  it('reports a failed action with status 1', async () => {
    const result = await runCtl(['--ctl', path.join(dir, 'ctl.sock'), 'umount'], dir);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'minicache-ctl: umount: no volume is mounted\n');
  });

  it('rejects an unknown action with status 2', async () => {
    const result = await runCtl(['--ctl', path.join(dir, 'ctl.sock'), 'explode'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^minicache-ctl: unknown action 'explode'/);
  });

  it('explains a missing appliance', async () => {
    const result = await runCtl(['--ctl', path.join(dir, 'none.sock'), 'status'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot reach the appliance at .*none\.sock.*is the appliance running/);
  });

  it('rejects its own unknown option', async () => {
    const result = await runCtl(['--frobnicate', 'status'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option '--frobnicate'/);
  });
});
