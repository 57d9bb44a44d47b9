// Hostile and careless telnet clients against µShell: option and command
// floods, bad subnegotiations, binary junk, overlong lines, editing keys,
// commands with wrong, huge or hostile arguments, and more sessions than
// allowed.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setLogSink } from '../../../src/log';
import { mountVolume } from '../../../src/shfs/volume';
import { MAX_TELNET_SESSIONS, UShellService } from '../../../src/ushell';
import { LINE_MAX_BYTES } from '../../../src/ushell/line-editor';
import { OUTPUT_BACKLOG_MAX_BYTES } from '../../../src/ushell/shell-session';
import { REPEAT_DELAY_MAX_MS } from '../../../src/ushell/commands/composition-commands';
import { DO, DONT, IAC, PROMPT, SB, SE, TelnetTestClient, WILL, WONT } from '../../helpers/telnet-client';
import { FakeContext } from '../ushell/fake-context';

const AYT = 246;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const BACKSPACE = 0x08;
const DEL = 0x7f;
const BELL = '\x07';

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `count` copies of a byte sequence. */
function repeated(sequence: number[], count: number): Buffer {
  const bytes = Buffer.alloc(sequence.length * count);
  for (let i = 0; i < bytes.length; i++) bytes[i] = sequence[i % sequence.length];
  return bytes;
}

/** Seeded bytes without IAC (255) and ^D (4), which would start a subnegotiation or end the session. */
function junk(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    let byte = state >>> 24;
    if (byte === IAC || byte === CTRL_D) byte = 0x41;
    bytes[i] = byte;
  }
  return bytes;
}

/** A context whose mount uses the real SHFS mount, so device errors reach the shell. */
class MountingContext extends FakeContext {
  override async mount(devicePaths: readonly string[]): Promise<void> {
    const volume = await mountVolume(devicePaths, { direct: false });
    await volume.unmount();
    this.actions.push(`mount ${devicePaths.join(' ')}`);
  }
}

describe('adversarial µShell', () => {
  let restoreLogs: (line: string) => void;
  let context: FakeContext;
  let shell: UShellService;

  before(() => {
    restoreLogs = setLogSink(() => undefined);
  });

  after(() => {
    setLogSink(restoreLogs);
  });

  beforeEach(() => {
    context = new FakeContext();
    shell = new UShellService({ context });
  });

  afterEach(async () => {
    await shell.close();
  });

  async function connect(): Promise<TelnetTestClient> {
    const client = new TelnetTestClient(shell);
    await client.ready();
    return client;
  }

  describe('floods from a client that does not read', () => {
    const floods: Array<[string, Buffer]> = [
      ['DO of an unknown option', repeated([IAC, DO, 99], 100_000)],
      ['WILL of an unknown option', repeated([IAC, WILL, 99], 100_000)],
      ['are-you-there', repeated([IAC, AYT], 100_000)],
      ['characters past the line limit', Buffer.alloc(200_000, 0x61)],
    ];
    for (const [name, flood] of floods) {
      it(`bounds the output backlog for ${name}`, async () => {
        const client = await connect();
        client.socket.pause();
        client.send(flood);
        await waitMs(200);
        const backlog = client.socket.peer.writableLength;
        client.destroy();
        assert.ok(backlog <= 2 * OUTPUT_BACKLOG_MAX_BYTES, `${backlog} bytes wait for the client`);
      });
    }

    it('runs commands again once the client reads', async () => {
      const client = await connect();
      client.socket.pause();
      client.send(repeated([IAC, AYT], 20_000));
      await waitMs(100);
      client.socket.resume();
      // The replies arrive in many small pieces, and runCommand would scan them all again for each one.
      await waitMs(300);
      const output = await client.runCommand('echo alive', 5000);
      client.destroy();
      assert.ok(output.endsWith('alive\r\n'), JSON.stringify(output.slice(-100)));
    });

    it('bounds the backlog of repeat', async () => {
      const client = await connect();
      client.socket.pause();
      client.send('repeat 100000 0 ls\r\n');
      await waitMs(300);
      const backlog = client.socket.peer.writableLength;
      client.destroy();
      assert.ok(backlog <= 2 * OUTPUT_BACKLOG_MAX_BYTES, `${backlog} bytes wait for the client`);
    });

    it('bounds the backlog of cat', async () => {
      const big = new FakeContext([{ name: 'huge.txt', data: 'line of text\n'.repeat(200_000), mime: 'text/plain' }]);
      const bigShell = new UShellService({ context: big });
      const client = new TelnetTestClient(bigShell);
      await client.ready();
      client.socket.pause();
      client.send('cat huge.txt\r\n');
      await waitMs(200);
      const backlog = client.socket.peer.writableLength;
      client.destroy();
      await bigShell.close();
      assert.ok(backlog <= 2 * OUTPUT_BACKLOG_MAX_BYTES, `${backlog} bytes wait for the client`);
    });
  });

  describe('telnet protocol abuse', () => {
    it('refuses each unknown option once per request', async () => {
      const client = await connect();
      client.send([IAC, DO, 200, IAC, DO, 200, IAC, WILL, 201]);
      await client.runCommand('echo');
      client.destroy();
      assert.deepEqual(client.negotiations.slice(2), [
        [WONT, 200],
        [WONT, 200],
        [DONT, 201],
      ]);
    });

    it('decodes a command split across chunks', async () => {
      const client = await connect();
      client.send([IAC]);
      await waitMs(10);
      client.send([WILL]);
      await waitMs(10);
      client.send([24]);
      await client.runCommand('echo');
      client.destroy();
      assert.deepEqual(client.negotiations.slice(2), [[DONT, 24]]);
    });

    it('survives a 10 000-byte subnegotiation', async () => {
      const client = await connect();
      client.send(Buffer.concat([Buffer.from([IAC, SB, 24]), Buffer.alloc(10_000, 0x78), Buffer.from([IAC, SE])]));
      const output = await client.runCommand('echo after');
      client.destroy();
      assert.equal(output, 'after\r\n');
    });

    it('survives an empty subnegotiation', async () => {
      const client = await connect();
      client.send([IAC, SB, IAC, SE]);
      const output = await client.runCommand('echo after');
      client.destroy();
      assert.equal(output, 'after\r\n');
    });

    it('treats commands inside a subnegotiation as its data', async () => {
      const client = await connect();
      client.send([IAC, SB, 24, IAC, DO, 1, IAC, AYT, IAC, SE]);
      const output = await client.runCommand('echo after');
      client.destroy();
      assert.equal(output, 'after\r\n');
      assert.deepEqual(client.negotiations.slice(2), []);
    });

    it('ignores unknown command bytes', async () => {
      const client = await connect();
      client.send([IAC, 0x41, IAC, 0x00, IAC, SE]);
      const output = await client.runCommand('echo after');
      client.destroy();
      assert.equal(output, 'after\r\n');
    });

    it('keeps running after binary junk', async () => {
      const client = await connect();
      client.send(junk(64 * 1024, 7));
      await waitMs(300);
      // ^U erases what is left of the last junk line, whatever escape sequence it ends in.
      client.send([CTRL_U]);
      const output = await client.runCommand('echo alive', 5000);
      client.destroy();
      assert.ok(output.endsWith('alive\r\n'), JSON.stringify(output.slice(-200)));
      assert.equal(client.closed, false);
    });
  });

  describe('line editing', () => {
    it('cuts an overlong line at the limit', async () => {
      const client = await connect();
      const output = await client.runCommand('a'.repeat(5000));
      client.destroy();
      const bells = output.split(BELL).length - 1;
      assert.equal(bells, 5000 - LINE_MAX_BYTES);
      assert.ok(output.endsWith(`Unknown command: ${'a'.repeat(LINE_MAX_BYTES)}. Type 'help' for the list of commands.\r\n`));
    });

    it('drops a character that does not fit whole', async () => {
      const client = await connect();
      // 1023 bytes, then a 2-byte character that does not fit, then a byte that does.
      const output = await client.runCommand(`echo ${'b'.repeat(LINE_MAX_BYTES - 6)}µx`);
      client.destroy();
      assert.equal(output.split(BELL).length - 1, 1);
      assert.ok(output.endsWith(`\r\n${'b'.repeat(LINE_MAX_BYTES - 6)}x\r\n`), JSON.stringify(output.slice(-50)));
    });

    it('runs a line ended inside an escape sequence', async () => {
      const client = await connect();
      client.send('echo one\x1b\r\n');
      await client.waitFor(`one\r\n${PROMPT}`);
      client.send('echo two\x1b[1;\r\n');
      await client.waitFor(`two\r\n${PROMPT}`);
      client.destroy();
      assert.ok(client.text.endsWith(`two\r\n${PROMPT}`));
    });

    it('erases a whole UTF-8 character', async () => {
      const client = await connect();
      client.send(Buffer.concat([Buffer.from('echo µ', 'utf8'), Buffer.from([BACKSPACE]), Buffer.from('x\r\n')]));
      await client.waitFor(`x\r\n${PROMPT}`);
      client.destroy();
      assert.ok(client.text.includes('\r\nx\r\n'), JSON.stringify(client.text.slice(-60)));
    });

    it('erases past the start of a line without harm', async () => {
      const client = await connect();
      client.send(Buffer.concat([Buffer.from([DEL, DEL, DEL, BACKSPACE]), Buffer.from('echo ok\r\n')]));
      await client.waitFor(`ok\r\n${PROMPT}`);
      client.destroy();
      assert.ok(client.text.endsWith(`echo ok\r\nok\r\n${PROMPT}`));
    });

    it('rings on ^D inside a line', async () => {
      const client = await connect();
      client.send(Buffer.concat([Buffer.from('echo a'), Buffer.from([CTRL_D]), Buffer.from('b\r\n')]));
      await client.waitFor(`ab\r\n${PROMPT}`);
      client.destroy();
      assert.equal(client.closed, false);
      assert.ok(client.text.includes(`echo a${BELL}b`));
    });

    it('erases the line on ^U', async () => {
      const client = await connect();
      client.send(Buffer.concat([Buffer.from('halt'), Buffer.from([CTRL_U]), Buffer.from('echo safe\r\n')]));
      await client.waitFor(`safe\r\n${PROMPT}`);
      client.destroy();
      assert.deepEqual(context.actions, []);
    });

    it('skips cursor key sequences', async () => {
      const client = await connect();
      client.send('echo \x1b[A\x1b[1;5D\x1bOPok\r\n');
      await client.waitFor(`ok\r\n${PROMPT}`);
      client.destroy();
      assert.ok(client.text.endsWith(`ok\r\n${PROMPT}`));
    });
  });

  describe('commands with hostile arguments', () => {
    it('rejects a repeat delay too long for a timer', async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(warning.name);
      };
      process.on('warning', onWarning);
      const client = await connect();
      const output = await client.runCommand(`repeat 2 ${REPEAT_DELAY_MAX_MS + 1} echo hi`);
      client.destroy();
      await waitMs(10);
      process.off('warning', onWarning);
      assert.equal(output, `repeat: invalid delay ${REPEAT_DELAY_MAX_MS + 1} ms: at most ${REPEAT_DELAY_MAX_MS} ms (about 24 days)\r\n`);
      assert.deepEqual(warnings, []);
    });

    it('stops a huge repeat on ^C', async () => {
      const client = await connect();
      client.send('repeat 99999999999999999999999 0 echo x\r\n');
      await client.waitFor('x\r\nx\r\n');
      client.send([CTRL_C]);
      await client.waitFor(`^C\r\n`);
      await client.waitFor(PROMPT);
      await waitMs(30);
      const output = await client.runCommand('echo after');
      client.destroy();
      assert.equal(output, 'after\r\n');
    });

    const usages: Array<[string, string]> = [
      ['repeat -1 0 echo x', 'Usage: repeat TIMES DELAY-MS COMMAND [ARG]...\r\n'],
      ['repeat 1e3 0 echo x', 'Usage: repeat TIMES DELAY-MS COMMAND [ARG]...\r\n'],
      ['repeat 1 0', 'Usage: repeat TIMES DELAY-MS COMMAND [ARG]...\r\n'],
      ['repeat 0 0 echo x', ''],
      ['repeat 2 0 nosuch', "Unknown command: nosuch. Type 'help' for the list of commands.\r\n"],
      ['xargs', 'Usage: xargs COMMAND [ARG]...\r\n'],
      ['xargs xargs xargs echo a b', 'Usage: xargs COMMAND [ARG]...\r\n'],
      ['xargs nosuch a', "Unknown command: nosuch. Type 'help' for the list of commands.\r\n"],
      ['time', 'Usage: time COMMAND [ARG]...\r\n'],
      ['df', 'Usage: df OBJECT\r\n'],
      ['df a b', 'Usage: df OBJECT\r\n'],
      ['cat', 'Usage: cat OBJECT...\r\n'],
      ['cat logo.png', 'logo.png: image/png is not text; use df for a hex dump\r\n'],
      ['cat ../../etc/passwd', '../../etc/passwd: no such object\r\n'],
      [`cat ?${'0'.repeat(64)}`, `?${'0'.repeat(64)}: no such object\r\n`],
      ['cat "unterminated', 'µsh: unterminated double quote\r\n'],
      ['umount -x', 'Usage: umount [-f]\r\n'],
      ['umount -f -f', 'Usage: umount [-f]\r\n'],
      ['mount a a', 'a is given twice\r\n'],
      ['mount 51712', '51712 is a Xen block device number; pass the path of an image file or block device instead\r\n'],
      ['prefetch', 'Usage: prefetch OBJECT\r\n'],
    ];
    for (const [line, expected] of usages) {
      it(`answers ${line}`, async () => {
        const client = await connect();
        const output = await client.runCommand(line);
        client.destroy();
        assert.equal(output, expected);
      });
    }

    it('runs deeply nested xargs', async () => {
      const client = await connect();
      const output = await client.runCommand(`${'xargs '.repeat(150)}echo`);
      client.destroy();
      assert.equal(output, 'Usage: xargs COMMAND [ARG]...\r\n');
    });

    it('unmounts only once', async () => {
      const client = await connect();
      const first = await client.runCommand('umount');
      const second = await client.runCommand('umount');
      client.destroy();
      assert.equal(first, '');
      assert.equal(second, 'No SHFS filesystem mounted\r\n');
      assert.deepEqual(context.actions, ['umount']);
    });
  });

  describe('hostile names on the volume', () => {
    const EVIL_NAME = 'evil\x1b]0;pwned\x07\x9b2J.txt';
    const EVIL_MIME = 'text/\x1b[31mred';

    beforeEach(() => {
      context = new FakeContext([{ name: EVIL_NAME, data: 'x\n', mime: EVIL_MIME }]);
      shell = new UShellService({ context });
    });

    for (const command of ['ls', 'file', 'info', 'shfs-info']) {
      it(`sends no control characters for ${command}`, async () => {
        const client = await connect();
        // A typed name would pass the line editor and be echoed, so file gets the digest.
        const digest = context.currentVolume!.entries()[0].digestHex;
        const output = await client.runCommand(command === 'file' ? `file ?${digest}` : command);
        client.destroy();
        assert.doesNotMatch(output, /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]/);
      });
    }

    it('shows a control character as ?', async () => {
      const client = await connect();
      const output = await client.runCommand('ls');
      client.destroy();
      assert.match(output, / text\/\?\[31mred +.* evil\?\]0;pwned\?\?2J\.txt\r\n$/);
    });
  });

  describe('mount of bad paths', () => {
    let dir: string;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
      context = new MountingContext();
      context.currentVolume = undefined;
      shell = new UShellService({ context });
    });

    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('reports a missing file', async () => {
      const client = await connect();
      const output = await client.runCommand(`mount ${dir}/absent.img`);
      client.destroy();
      assert.match(output, new RegExp(`^Could not mount: .*${dir}/absent\\.img.*\\r\\n$`));
    });

    it('reports a folder', async () => {
      const client = await connect();
      const output = await client.runCommand(`mount ${dir}`);
      client.destroy();
      assert.equal(output, `Could not mount: ${dir} is neither a regular file nor a block device\r\n`);
    });

    it('reports /dev/null', async () => {
      const client = await connect();
      const output = await client.runCommand('mount /dev/null');
      client.destroy();
      assert.equal(output, 'Could not mount: /dev/null is neither a regular file nor a block device\r\n');
    });

    it('reports a FIFO without waiting for a writer', async () => {
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const client = await connect();
      const output = await client.runCommand(`mount ${fifo}`, 3000);
      client.destroy();
      assert.equal(output, `Could not mount: ${fifo} is neither a regular file nor a block device\r\n`);
    });

    it('reports an empty file', async () => {
      const empty = path.join(dir, 'empty.img');
      fs.writeFileSync(empty, '');
      const client = await connect();
      const output = await client.runCommand(`mount ${empty}`);
      client.destroy();
      assert.equal(output, `Could not mount: ${empty}: not an SHFS volume member (0 bytes, too small for a label)\r\n`);
    });
  });

  describe('sessions', () => {
    it('turns away the ninth of nine at once', async () => {
      const clients = Array.from({ length: MAX_TELNET_SESSIONS + 1 }, () => new TelnetTestClient(shell));
      const ninth = clients[MAX_TELNET_SESSIONS];
      await ninth.waitForClose();
      await Promise.all(clients.slice(0, MAX_TELNET_SESSIONS).map((client) => client.ready()));
      const names = shell.sessions().map((session) => session.name);
      for (const client of clients) client.destroy();
      assert.equal(ninth.text, `µShell: all ${MAX_TELNET_SESSIONS} sessions are in use; please try again later.\r\n`);
      assert.deepEqual(names, ['rsh0', 'rsh1', 'rsh2', 'rsh3', 'rsh4', 'rsh5', 'rsh6', 'rsh7']);
    });

    it('frees every slot when clients vanish', async () => {
      const clients = Array.from({ length: MAX_TELNET_SESSIONS }, () => new TelnetTestClient(shell));
      await Promise.all(clients.map((client) => client.ready()));
      for (const client of clients) client.destroy();
      await waitMs(20);
      const again = await connect();
      const output = await again.runCommand('who');
      again.destroy();
      assert.equal(output, ' rsh0: up 0:00:00, 192.168.122.1:40000 (this session)\r\n');
    });
  });
});
