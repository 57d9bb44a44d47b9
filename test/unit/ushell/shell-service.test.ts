import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setLogSink } from '../../../src/log';
import { MAX_TELNET_SESSIONS, UShellService } from '../../../src/ushell';
import { DO, DONT, IAC, OPTION_ECHO, OPTION_SUPPRESS_GO_AHEAD, PROMPT, SB, SE, TelnetTestClient, WILL, WONT } from '../../helpers/telnet-client';
import { FakeContext } from './fake-context';

const BANNER = "\r\nµShell of MiniCache for Linux 0.1.0\r\nType 'help' for the list of commands.\r\n";

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('µShell sessions', () => {
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

  describe('telnet', () => {
    it('offers echo and suppress-go-ahead first', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      assert.deepEqual([...client.raw.subarray(0, 6)], [IAC, WILL, OPTION_ECHO, IAC, WILL, OPTION_SUPPRESS_GO_AHEAD]);
    });

    it('sends the banner and prompt', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      assert.equal(client.text, `${BANNER}${PROMPT}`);
    });

    it('answers nothing to the agreement', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      await client.runCommand('echo hi');
      assert.deepEqual(client.negotiations, [
        [WILL, OPTION_ECHO],
        [WILL, OPTION_SUPPRESS_GO_AHEAD],
      ]);
    });

    it('refuses other options', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send([IAC, WILL, 24, IAC, DO, 31, IAC, SB, 24, 0, 0x78, IAC, SE]);
      await client.runCommand('echo');
      assert.deepEqual(client.negotiations.slice(2), [
        [DONT, 24],
        [WONT, 31],
      ]);
    });

    it('echoes typed characters', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send('ec');
      await client.waitFor('ec');
      assert.ok(client.text.endsWith(`${PROMPT}ec`));
    });

    it('does not echo when the client refuses', async () => {
      const client = new TelnetTestClient(shell, { agree: false });
      await client.ready();
      client.send([IAC, DONT, OPTION_ECHO]);
      const output = await client.runCommand('echo quiet');
      assert.equal(output, 'quiet\r\n');
    });

    it('runs a command', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      assert.equal(await client.runCommand('echo one  two'), 'one two\r\n');
    });

    it('ends lines with CR NUL', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send('echo nul\r\0');
      await client.waitFor(`nul\r\n${PROMPT}`);
      assert.ok(client.text.endsWith(`echo nul\r\nnul\r\n${PROMPT}`));
    });

    it('applies backspace and DEL', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send(Buffer.from([...Buffer.from('echo abx'), 0x7f, ...Buffer.from('y'), 0x08, ...Buffer.from('c\r\n')]));
      await client.waitFor(`abc\r\n${PROMPT}`);
      assert.ok(client.text.includes('echo abx\b \by\b \bc\r\nabc\r\n'));
    });

    it('cancels the line on ^C', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send(Buffer.from([...Buffer.from('echo no'), 0x03]));
      await client.waitFor(`^C\r\n${PROMPT}`);
      assert.equal(await client.runCommand('echo yes'), 'yes\r\n');
    });

    it('cancels the line on interrupt process', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send(Buffer.from([...Buffer.from('echo no'), IAC, 244]));
      await client.waitFor(`^C\r\n${PROMPT}`);
      assert.ok(client.text.endsWith(`echo no^C\r\n${PROMPT}`));
    });

    it('erases a character on erase character', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send(Buffer.from([...Buffer.from('echo abx'), IAC, 247, ...Buffer.from('\r\n')]));
      await client.waitFor(`ab\r\n${PROMPT}`);
    });

    it('answers are-you-there', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send([IAC, 246]);
      await client.waitFor('[µShell: yes]');
    });

    it('keeps a data byte 255', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send(Buffer.from([...Buffer.from('echo a'), IAC, IAC, ...Buffer.from('b\r\n')]));
      await client.waitFor(/a\uFFFDb\r\n/);
    });

    it('reports an unknown command', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      assert.equal(await client.runCommand('frobnicate now'), "Unknown command: frobnicate. Type 'help' for the list of commands.\r\n");
    });

    it('reports an unterminated quote', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      assert.equal(await client.runCommand('echo "open'), 'µsh: unterminated double quote\r\n');
    });

    it('ignores an empty line', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      assert.equal(await client.runCommand('   '), '');
    });

    it('reports a failing command and goes on', async () => {
      shell.registerCommand({
        name: 'explode',
        summary: 'Throw',
        usage: 'explode',
        run() {
          throw new Error('boom');
        },
      });
      const client = new TelnetTestClient(shell);
      await client.ready();
      assert.equal(await client.runCommand('explode'), 'explode: boom\r\n');
      assert.equal(await client.runCommand('echo still here'), 'still here\r\n');
    });

    it('closes on exit', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send('exit\r\n');
      await client.waitForClose();
      assert.ok(client.text.endsWith('exit\r\nlogout\r\n'));
      assert.equal(shell.sessions().length, 0);
    });

    it('closes on ^D at an empty line', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send([0x04]);
      await client.waitForClose();
      assert.ok(client.text.endsWith(`${PROMPT}\r\nlogout\r\n`));
    });

    it('runs lines sent before the client closed', async () => {
      const client = new TelnetTestClient(shell);
      client.socket.end('echo last\r\n');
      await client.waitForClose();
      assert.ok(client.text.includes('last\r\n'));
    });

    it('keeps input typed during a command', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send('repeat 2 50 echo tick\r\necho after\r\n');
      await client.waitFor('after\r\n');
      assert.ok(client.text.indexOf('tick\r\ntick\r\n') < client.text.indexOf('after\r\n'));
    });

    it('aborts a running command on ^C', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      client.send('repeat 1000 20 echo tick\r\n');
      await client.waitFor('tick');
      client.send([0x03]);
      await client.waitFor(`^C\r\n`);
      await client.waitFor(PROMPT);
      const ticks = client.text.split('tick').length - 1;
      await waitMs(60);
      assert.equal(client.text.split('tick').length - 1, ticks);
      assert.ok(ticks < 10, `${ticks} ticks`);
    });

    it('names sessions rsh0, rsh1', async () => {
      const first = new TelnetTestClient(shell);
      const second = new TelnetTestClient(shell);
      await first.ready();
      await second.ready();
      assert.deepEqual(
        shell.sessions().map((info) => info.name),
        ['rsh0', 'rsh1'],
      );
    });

    it('reuses the lowest free session name', async () => {
      const first = new TelnetTestClient(shell);
      const second = new TelnetTestClient(shell);
      await first.ready();
      await second.ready();
      first.destroy();
      await waitMs(10);
      const third = new TelnetTestClient(shell);
      await third.ready();
      assert.deepEqual(shell.sessions().map((info) => info.name).sort(), ['rsh0', 'rsh1']);
    });

    it('turns away the ninth session', async () => {
      const clients = Array.from({ length: MAX_TELNET_SESSIONS }, () => new TelnetTestClient(shell));
      for (const client of clients) await client.ready();
      const ninth = new TelnetTestClient(shell);
      await ninth.waitForClose();
      assert.equal(ninth.text, 'µShell: all 8 sessions are in use; please try again later.\r\n');
      assert.equal(shell.sessions().length, MAX_TELNET_SESSIONS);
    });

    it('accepts a session again after one closes', async () => {
      const clients = Array.from({ length: MAX_TELNET_SESSIONS }, () => new TelnetTestClient(shell));
      for (const client of clients) await client.ready();
      clients[3].destroy();
      await waitMs(10);
      const next = new TelnetTestClient(shell);
      await next.ready();
      assert.equal(shell.sessions().length, MAX_TELNET_SESSIONS);
    });

    it('closes every session on close', async () => {
      const client = new TelnetTestClient(shell);
      await client.ready();
      await shell.close();
      await client.waitForClose();
      assert.equal(shell.sessions().length, 0);
    });

    it('escapes 255 in output', async () => {
      shell.registerCommand({
        name: 'emit',
        summary: 'Write a 255 byte',
        usage: 'emit',
        run(_args, session) {
          session.write(Buffer.from([0x41, 255, 0x42, 0x0a]));
        },
      });
      const client = new TelnetTestClient(shell);
      await client.ready();
      await client.runCommand('emit');
      assert.ok(client.raw.includes(Buffer.from([0x41, IAC, IAC, 0x42])));
    });
  });

  describe('local session', () => {
    it('runs commands from a terminal', async () => {
      const input = new PassThrough();
      const output = new PassThrough();
      let text = '';
      output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      shell.startLocalSession({ input, output, echo: true });
      input.write('echo local\r');
      await waitMs(20);
      assert.equal(text, `${BANNER}${PROMPT}echo local\r\nlocal\r\n${PROMPT}`);
    });

    it('starts over after exit', async () => {
      const input = new PassThrough();
      const output = new PassThrough();
      let text = '';
      output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      shell.startLocalSession({ input, output, echo: false });
      input.write('exit\n');
      await waitMs(20);
      assert.equal(text, `${BANNER}${PROMPT}logout\r\n${BANNER}${PROMPT}`);
      assert.equal(output.writableEnded, false);
    });

    it('is listed by who', async () => {
      const input = new PassThrough();
      const output = new PassThrough();
      let text = '';
      output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      shell.startLocalSession({ input, output, echo: false });
      const client = new TelnetTestClient(shell);
      await client.ready();
      input.write('who\n');
      await waitMs(20);
      assert.match(text, / lsh0: up 0:00:00, terminal \(this session\)\r\n rsh0: up 0:00:00, 192\.168\.122\.1:40000\r\n/);
    });

    it('does not count against the telnet limit', async () => {
      shell.startLocalSession({ input: new PassThrough(), output: new PassThrough(), echo: false });
      const clients = Array.from({ length: MAX_TELNET_SESSIONS }, () => new TelnetTestClient(shell));
      for (const client of clients) await client.ready();
      assert.equal(shell.sessions().length, MAX_TELNET_SESSIONS + 1);
    });

    it('ends with its input', async () => {
      const input = new PassThrough();
      shell.startLocalSession({ input, output: new PassThrough(), echo: false });
      input.end();
      await waitMs(10);
      assert.equal(shell.sessions().length, 0);
    });
  });
});
