// Garbage on the control socket: the ControlChannel of the appliance on a
// UNIX socket in a temporary folder, driven by raw clients. Tests marked
// skip describe bugs in src/appliance that are left to its owner.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlChannel, sendControlRequest, type ControlRequest } from '../../../src/appliance/control-channel';
import { createLogger, setLogSink } from '../../../src/log';

interface RawResult {
  /** Everything the appliance sent. */
  received: string;
  /** True when the appliance closed the connection within the wait. */
  closed: boolean;
}

/** Connects, writes `pieces` one by one, optionally half-closes, and collects the reply. */
function rawExchange(socketPath: string, pieces: Array<string | Buffer>, options: { halfClose?: boolean; waitMs?: number } = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ path: socketPath, allowHalfOpen: true });
    let received = '';
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 2000);
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      received += data;
    });
    socket.on('error', () => undefined);
    socket.on('end', () => finish(true));
    socket.on('connect', () => {
      for (const piece of pieces) socket.write(piece);
      if (options.halfClose === true) socket.end();
    });
  });
}

function reply(line: string): string {
  return `${line}\n`;
}

describe('adversarial control channel', () => {
  let restoreLogs: (line: string) => void;
  let dir: string;
  let socketPath: string;
  let channel: ControlChannel;
  const requests: ControlRequest[] = [];

  before(async () => {
    restoreLogs = setLogSink(() => undefined);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
    socketPath = path.join(dir, 'ctl.sock');
    channel = await ControlChannel.open(
      socketPath,
      async (request) => {
        requests.push(request);
        if (request.action === 'slow') await new Promise((resolve) => setTimeout(resolve, 100));
        if (request.action === 'throw-string') throw 'plain text thrown' as unknown as Error;
        return `done: ${request.action}`;
      },
      createLogger('control-test'),
    );
  });

  after(async () => {
    await channel.close();
    fs.rmSync(dir, { recursive: true, force: true });
    setLogSink(restoreLogs);
  });

  beforeEach(() => {
    requests.length = 0;
  });

  const garbage: Array<[string, string, string]> = [
    ['text that is not JSON', 'hello\n', '{"ok":false,"error":"request is not valid JSON"}'],
    ['binary junk', '\x00\xff\xfe{{\n', '{"ok":false,"error":"request is not valid JSON"}'],
    ['an empty line', '\n', '{"ok":false,"error":"request is not valid JSON"}'],
    ['null', 'null\n', '{"ok":false,"error":"request must be a JSON object"}'],
    ['a number', '42\n', '{"ok":false,"error":"request must be a JSON object"}'],
    ['an array', '["status"]\n', '{"ok":false,"error":"request has no action"}'],
    ['an empty action', '{"action":""}\n', '{"ok":false,"error":"request has no action"}'],
    ['a numeric action', '{"action":7}\n', '{"ok":false,"error":"request has no action"}'],
    ['numeric arguments', '{"action":"mount","args":[1,2]}\n', '{"ok":false,"error":"args must be an array of strings"}'],
    ['arguments as an object', '{"action":"mount","args":{"0":"a"}}\n', '{"ok":false,"error":"args must be an array of strings"}'],
    ['a nested argument', '{"action":"mount","args":[["a"]]}\n', '{"ok":false,"error":"args must be an array of strings"}'],
  ];
  for (const [name, request, answer] of garbage) {
    it(`answers ${name}`, async () => {
      const result = await rawExchange(socketPath, [request]);
      assert.equal(result.received, reply(answer));
      assert.equal(result.closed, true);
      assert.deepEqual(requests, []);
    });
  }

  it('answers a line over 64 KiB', async () => {
    const result = await rawExchange(socketPath, ['x'.repeat(70 * 1024)]);
    assert.equal(result.received, reply('{"ok":false,"error":"request too long"}'));
    assert.equal(result.closed, true);
  });

  it('passes no prototype from the request', async () => {
    const result = await rawExchange(socketPath, ['{"action":"status","__proto__":{"polluted":true},"args":[]}\n']);
    assert.equal(result.received, reply('{"ok":true,"output":"done: status"}'));
    assert.deepEqual(requests, [{ action: 'status', args: [] }]);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
    assert.equal((requests[0] as unknown as Record<string, unknown>).polluted, undefined);
  });

  it('joins a character split across writes', async () => {
    const bytes = Buffer.from('{"action":"µ-action"}\n', 'utf8');
    const split = bytes.indexOf(0xc2) + 1;
    const result = await rawExchange(socketPath, [bytes.subarray(0, split), bytes.subarray(split)]);
    assert.equal(result.received, reply('{"ok":true,"output":"done: µ-action"}'));
  });

  it('runs only the first of two requests', async () => {
    const result = await rawExchange(socketPath, ['{"action":"flush"}\n{"action":"umount"}\n']);
    assert.equal(result.received, reply('{"ok":true,"output":"done: flush"}'));
    assert.deepEqual(requests.map((request) => request.action), ['flush']);
  });

  it('reports a missing socket', async () => {
    await assert.rejects(sendControlRequest(path.join(dir, 'absent.sock'), { action: 'status', args: [] }), /cannot reach the appliance at .*absent\.sock: .*is the appliance running/);
  });

  it('answers a request through sendControlRequest', async () => {
    const response = await sendControlRequest(socketPath, { action: 'status', args: ['a b', ''] });
    assert.deepEqual(response, { ok: true, output: 'done: status' });
    assert.deepEqual(requests, [{ action: 'status', args: ['a b', ''] }]);
  });

  it('answers a client that half-closes after its request', async () => {
    const result = await rawExchange(socketPath, ['{"action":"slow"}\n'], { halfClose: true });
    assert.equal(result.received, reply('{"ok":true,"output":"done: slow"}'));
  });

  it('sends an error text for a non-Error rejection', async () => {
    const result = await rawExchange(socketPath, ['{"action":"throw-string"}\n']);
    assert.equal(result.received, reply('{"ok":false,"error":"plain text thrown"}'));
  });

  it('stops reading a client that goes on after a too-long request', async () => {
    const socket = net.createConnection({ path: socketPath, allowHalfOpen: true });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    while (written < 16 * 1024 * 1024 && !socket.destroyed) {
      const more = socket.write(piece);
      written += piece.length;
      if (!more) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), new Promise((resolve) => setTimeout(resolve, 500))]);
      if (socket.writableLength > 4 * 1024 * 1024) break;
    }
    const accepted = written - socket.writableLength;
    socket.destroy();
    assert.ok(accepted < 4 * 1024 * 1024, `the appliance read ${accepted} bytes`);
  });

  describe('socket path', () => {
    it('keeps a regular file at the socket path', async () => {
      const file = path.join(dir, 'precious.conf');
      fs.writeFileSync(file, 'keep me');
      await assert.rejects(ControlChannel.open(file, async () => '', createLogger('control-test')), /is not a socket/);
      assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');
    });

    it('rejects a socket path longer than sun_path', async () => {
      const long = path.join(dir, `${'x'.repeat(120)}.sock`);
      await assert.rejects(ControlChannel.open(long, async () => '', createLogger('control-test')), /too long/);
      assert.deepEqual(fs.readdirSync(dir).filter((name) => name.startsWith('xxx')), []);
    });

    it('reports a folder at the socket path', async () => {
      const folder = path.join(dir, 'folder.sock');
      fs.mkdirSync(folder);
      await assert.rejects(ControlChannel.open(folder, async () => '', createLogger('control-test')), /exists and is not a socket/);
      assert.equal(fs.statSync(folder).isDirectory(), true);
    });

    it('refuses a socket in use', async () => {
      await assert.rejects(ControlChannel.open(socketPath, async () => '', createLogger('control-test')), /is in use by another appliance \(pass --ctl PATH or -h\)/);
    });
  });
});
