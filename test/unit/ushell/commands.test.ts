import * as assert from 'node:assert/strict';
import { setLogSink } from '../../../src/log';
import { UShellService } from '../../../src/ushell';
import { BUILTIN_COMMANDS } from '../../../src/ushell/commands';
import { TelnetTestClient } from '../../helpers/telnet-client';
import { FakeContext } from './fake-context';

const CRLF = '\r\n';

function lines(...text: string[]): string {
  return text.map((line) => `${line}${CRLF}`).join('');
}

describe('µShell commands', () => {
  let restoreLogs: (line: string) => void;
  let context: FakeContext;
  let shell: UShellService;
  let client: TelnetTestClient;

  before(() => {
    restoreLogs = setLogSink(() => undefined);
  });

  after(() => {
    setLogSink(restoreLogs);
  });

  beforeEach(async () => {
    context = new FakeContext();
    shell = new UShellService({ context });
    client = new TelnetTestClient(shell);
    await client.ready();
  });

  afterEach(async () => {
    await shell.close();
  });

  function run(line: string): Promise<string> {
    return client.runCommand(line);
  }

  function digestOf(name: string): string {
    const volume = context.volume();
    if (volume === undefined) throw new Error('test volume missing');
    return volume.entry(name).digestHex;
  }

  it('registers every command of the original and netstat', () => {
    const expected = 'cat df echo exit export-stats file flush free halt help ifconfig info ls lsof lsvbd mallinfo mount netstat prefetch prefetch-all reboot remount repeat shfs-info stats suspend time umount uptime who xargs http-info cache-info date clear';
    assert.deepEqual(BUILTIN_COMMANDS.map((command) => command.name).sort(), expected.split(' ').sort());
  });

  describe('help', () => {
    it('lists every command with its summary', async () => {
      const output = await run('help');
      const listed = output.trimEnd().split(CRLF);
      assert.equal(listed.length, BUILTIN_COMMANDS.length);
      assert.equal(listed[0], ' cache-info    Show the state and counters of the chunk cache');
    });

    it('shows the usage of one command', async () => {
      assert.equal(await run('help cat'), lines('Usage: cat OBJECT...', '  Print text objects'));
    });

    it('reports an unknown command', async () => {
      assert.equal(await run('help nope'), lines("Unknown command: nope. Type 'help' for the list of commands."));
    });
  });

  describe('session commands', () => {
    it('echo joins its arguments', async () => {
      assert.equal(await run("echo a 'b  c' d"), lines('a b  c d'));
    });

    it('echo without arguments prints an empty line', async () => {
      assert.equal(await run('echo'), CRLF);
    });

    it('clear sends the ANSI clear sequence', async () => {
      assert.equal(await run('clear'), '\x1b[H\x1b[J');
    });

    it('who lists the sessions', async () => {
      assert.equal(await run('who'), lines(' rsh0: up 0:00:00, 192.168.122.1:40000 (this session)'));
    });

    it('uptime counts from the start', async () => {
      assert.equal(await run('uptime'), lines('up 1 day 2:03:04'));
    });

    it('date prints UTC', async () => {
      assert.equal(await run('date'), lines('Tue Jan 16 10:03:04 2024 UTC'));
    });
  });

  describe('object commands', () => {
    it('ls lists every object', async () => {
      const output = await run('ls');
      assert.equal(
        output,
        lines(
          `?${digestOf('index.html')}            3           25   -D-       text/html                Jan 15, 2024 10:00 index.html`,
          `?${digestOf('notes.txt')}            4           23   ---       text/plain               Jan 15, 2024 10:00 notes.txt`,
          `?${digestOf('logo.png')}            5           17   ---       image/png                Jan 15, 2024 10:00 logo.png`,
          `?${digestOf('big.txt')}            6         3000   --H       text/plain               Jan 15, 2024 10:00 big.txt`,
          `?${digestOf('movie')}                             L-- redir                          Jan 15, 2024 10:00 movie`,
          `?${digestOf('clone')}                             L--   raw                          Jan 15, 2024 10:00 clone`,
        ),
      );
    });

    it('ls pads short digests', async () => {
      context.currentVolume = new (await import('../../helpers/fake-volume')).FakeVolume([{ name: 'a', data: 'a' }], { hashLength: 4 });
      const output = await run('ls');
      assert.match(output, /^\?[0-9a-f]{8} {9} +3 +1 {3}--- /);
    });

    it('ls says when nothing is mounted', async () => {
      context.currentVolume = undefined;
      assert.equal(await run('ls'), lines('No SHFS filesystem mounted'));
    });

    it('file describes objects and links', async () => {
      assert.equal(
        await run(`file notes.txt ?${digestOf('logo.png').toUpperCase()} movie clone big.txt`),
        lines(
          'notes.txt: text/plain, 23 B',
          `?${digestOf('logo.png').toUpperCase()}: image/png, 17 B`,
          'movie: remote link: http://10.0.0.5:8080/videos/a.mp4, redirect',
          'clone: remote link: http://origin.example:80/raw/path, relative clone (raw)',
          'big.txt: text/plain, 2.9 KiB',
        ),
      );
    });

    it('file reports a missing object', async () => {
      assert.equal(await run('file nope.txt notes.txt'), lines('nope.txt: no such object', 'notes.txt: text/plain, 23 B'));
    });

    it('file needs an argument', async () => {
      assert.equal(await run('file'), lines('Usage: file OBJECT...'));
    });

    it('cat prints text with CR LF', async () => {
      assert.equal(await run('cat notes.txt'), 'first line\r\nsecond line\r\n');
    });

    it('cat reads by digest', async () => {
      assert.equal(await run(`cat ?${digestOf('notes.txt')}`), 'first line\r\nsecond line\r\n');
    });

    it('cat prints several objects', async () => {
      assert.equal(await run('cat notes.txt index.html'), 'first line\r\nsecond line\r\n<html>\r\n<p>Hi</p>\r\n</html>\r\n');
    });

    it('cat refuses binary objects', async () => {
      assert.equal(await run('cat logo.png'), lines('logo.png: image/png is not text; use df for a hex dump'));
    });

    it('cat refuses links', async () => {
      assert.equal(await run('cat movie'), lines('movie: is a link to http://10.0.0.5:8080/videos/a.mp4, not stored here'));
    });

    it('cat reports a read error', async () => {
      const volume = context.volume();
      if (volume !== undefined) volume.readFault = { name: 'notes.txt', offset: 0 };
      assert.equal(await run('cat notes.txt'), lines('notes.txt: read error at byte 0: I/O error reading notes.txt at byte 0'));
    });

    it('df dumps bytes in hex', async () => {
      assert.equal(
        await run('df logo.png'),
        lines('00000000  89 50 4e 47  0d 0a 1a 0a  00 00 00 0d  49 48 44 52  |.PNG........IHDR|', '00000010  41                                                  |A|'),
      );
    });

    it('df needs one argument', async () => {
      assert.equal(await run('df'), lines('Usage: df OBJECT'));
    });

    it('lsof lists objects being served', async () => {
      const opened = new Date(context.now().getTime() - 5000);
      const object = { name: 'notes.txt', digestHex: digestOf('notes.txt') };
      context.connections = [
        { id: 1, remoteAddress: '10.0.0.1', remotePort: 1000, state: 'responding', object, requests: 1, bodyBytesSent: 10, openedAt: opened },
        { id: 2, remoteAddress: '10.0.0.2', remotePort: 1001, state: 'responding', object, requests: 3, bodyBytesSent: 20, openedAt: opened },
        { id: 3, remoteAddress: '10.0.0.3', remotePort: 1002, state: 'idle', requests: 1, bodyBytesSent: 0, openedAt: opened },
      ];
      assert.equal(await run('lsof'), lines(`?${digestOf('notes.txt')}            2  notes.txt`));
    });
  });

  describe('volume commands', () => {
    it('mount shows the mounted volume', async () => {
      assert.equal(await run('mount'), lines('/var/lib/minicache/test.img on / type shfs (ro)'));
    });

    it('mount without a volume shows the usage', async () => {
      context.currentVolume = undefined;
      assert.equal(await run('mount'), lines('No SHFS filesystem mounted', '', 'Usage: mount [DEVICE-PATH]...'));
    });

    it('mount mounts device paths', async () => {
      context.currentVolume = undefined;
      assert.equal(await run('mount /img/a.img /img/b.img'), '');
      assert.deepEqual(context.actions, ['mount /img/a.img /img/b.img']);
    });

    it('mount refuses a second volume', async () => {
      assert.equal(await run('mount /img/a.img'), lines('A filesystem is already mounted', 'Please unmount it first'));
    });

    it('mount refuses Xen device numbers', async () => {
      context.currentVolume = undefined;
      assert.equal(await run('mount 51712'), lines('51712 is a Xen block device number; pass the path of an image file or block device instead'));
    });

    it('mount refuses duplicates', async () => {
      context.currentVolume = undefined;
      assert.equal(await run('mount /a.img /a.img'), lines('/a.img is given twice'));
    });

    it('mount reports a failure', async () => {
      context.currentVolume = undefined;
      context.failNext = 'no SHFS label on /a.img';
      assert.equal(await run('mount /a.img'), lines('Could not mount: no SHFS label on /a.img'));
    });

    it('umount unmounts', async () => {
      assert.equal(await run('umount'), '');
      assert.deepEqual(context.actions, ['umount']);
    });

    it('umount -f forces', async () => {
      await run('umount -f');
      assert.deepEqual(context.actions, ['umount -f']);
    });

    it('umount rejects other options', async () => {
      assert.equal(await run('umount -x'), lines('Usage: umount [-f]'));
    });

    it('umount reports a failure', async () => {
      context.failNext = 'objects are being served';
      assert.equal(await run('umount'), lines('Could not unmount: objects are being served'));
    });

    it('remount remounts', async () => {
      await run('remount');
      assert.deepEqual(context.actions, ['remount']);
    });

    it('remount needs a volume', async () => {
      context.currentVolume = undefined;
      assert.equal(await run('remount'), lines('No SHFS filesystem mounted'));
    });

    it('shfs-info describes the volume', async () => {
      assert.equal(
        await run('shfs-info'),
        lines(
          'Volume name:        DemoVol',
          'Volume UUID:        3f1b0d3e-5b8c-4c52-9a51-0f7e4b1c2d3e',
          'Creation date:      Jan 15, 2024 09:30',
          'Chunksize:          4 KiB',
          'Volume size:        8192 KiB',
          'Hash function:      SHA (256 bits)',
          'Hash table:         256 entries in 64 buckets',
          'Metadata:           3 chunks (12 KiB)',
          'Objects:            6',
          '',
          'Member stripe size: 4 KiB',
          'Member stripe mode: Independent',
          'Volume members:     1 device(s)',
          '  Member  0:',
          '    Device:         /var/lib/minicache/test.img',
          '    UUID:           0a1b2c3d-0000-4000-8000-000000000001',
          '    Size:           8388608 B',
          '    Type:           image file, O_DIRECT',
        ),
      );
    });

    it('lsvbd lists the devices', async () => {
      assert.equal(
        await run('lsvbd'),
        lines(
          ' /var/lib/minicache/test.img: image file, block size = 512 bytes, size = 8388608 bytes, in use',
          ' /dev/sdb: block device, block size = 4096 bytes, size = 1073741824 bytes',
        ),
      );
    });
  });

  describe('cache commands', () => {
    it('flush flushes the cache', async () => {
      assert.equal(await run('flush'), '');
      assert.deepEqual(context.actions, ['flush']);
    });

    it('flush needs a volume', async () => {
      context.currentVolume = undefined;
      assert.equal(await run('flush'), lines('No SHFS filesystem mounted'));
    });

    it('prefetch loads one object', async () => {
      await run('prefetch notes.txt');
      assert.deepEqual(context.actions, ['prefetch notes.txt']);
    });

    it('prefetch reports a missing object', async () => {
      assert.equal(await run('prefetch nope'), lines('nope: no such object'));
    });

    it('prefetch-all loads everything', async () => {
      await run('prefetch-all');
      assert.deepEqual(context.actions, ['prefetch-all']);
    });

    it('cache-info shows the counters', async () => {
      assert.equal(
        await run('cache-info'),
        lines(
          ' Number of buffers in cache:                  12 (total: 48 KiB)',
          ' Capacity:                                   256 (total: 1024 KiB)',
          ' Access statistics:',
          '  Hits:                                        0',
          '  Misses:                                      0',
          '  Device reads:                                0',
          '  Failed reads:                                0',
        ),
      );
    });
  });

  describe('statistics commands', () => {
    it('stats lists accessed objects', async () => {
      const http = context.http;
      if (http === undefined) throw new Error('test statistics missing');
      http.objects = [
        { digestHex: digestOf('notes.txt'), hits: 5, misses: 0, completed: 4, aborted: 1, progress: [5, 4, 4], lastAccess: new Date(Date.UTC(2024, 0, 16, 9, 5)), available: true },
        { digestHex: 'ab'.repeat(32), hits: 0, misses: 2, completed: 0, aborted: 0, progress: [0, 0, 0], lastAccess: new Date(Date.UTC(2024, 0, 16, 9, 6)), available: false },
        { digestHex: digestOf('logo.png'), hits: 0, misses: 0, completed: 0, aborted: 0, progress: [0, 0, 0], lastAccess: undefined, available: true },
      ];
      assert.equal(
        await run('stats'),
        lines(
          `?${digestOf('notes.txt')} IN      5 [      4 |      5      4      4 ]      0 Jan 16, 2024 09:05`,
          `?${'ab'.repeat(32)}         0 [      0 |      0      0      0 ]      2 Jan 16, 2024 09:06`,
          'Invalid element requests:        3',
        ),
      );
    });

    it('export-stats reports the device', async () => {
      assert.equal(await run('export-stats'), lines('Exported 312 bytes of statistics to /var/lib/minicache/stats.img'));
    });

    it('export-stats reports a missing device', async () => {
      context.failNext = 'no statistics device is configured (start with -x PATH)';
      assert.equal(await run('export-stats'), lines('Could not export statistics: no statistics device is configured (start with -x PATH)'));
    });

    it('http-info shows counters and connections', async () => {
      context.connections = [
        {
          id: 7,
          remoteAddress: '192.168.122.9',
          remotePort: 51000,
          state: 'responding',
          object: { name: 'notes.txt', digestHex: digestOf('notes.txt') },
          requests: 3,
          bodyBytesSent: 4096,
          openedAt: new Date(context.now().getTime() - 65_000),
        },
      ];
      assert.equal(
        await run('http-info'),
        lines(
          ' Listen port:               80',
          ' Connections:               2/1024 (17 since start, 1 rejected)',
          ' Requests:                  40',
          ' Responses:                 1xx 0, 2xx 30, 3xx 2, 4xx 7, 5xx 1',
          ' Body bytes sent:           123456',
          ' Unknown names requested:   3',
          ' Origin failures:           1',
          '',
          '      ID  Remote                 State              Up  Requests    Body bytes  Object',
          '       7  192.168.122.9:51000    responding    0:01:05         3          4096  notes.txt',
        ),
      );
    });

    it('http-info without a server', async () => {
      context.http = undefined;
      assert.equal(await run('http-info'), lines('HTTP server is not online'));
    });
  });

  describe('system commands', () => {
    it('info shows identity and volume', async () => {
      assert.equal(
        await run('info'),
        lines(
          'MiniCache for Linux 0.1.0, µShell',
          ' Interface: mc0, 02:00:00:aa:bb:cc, 192.168.122.2/24',
          ' Services:  HTTP on port 80, telnet shell on port 23',
          ' Volume:    DemoVol (3f1b0d3e-5b8c-4c52-9a51-0f7e4b1c2d3e), 6 objects',
          ' Up:        1 day 2:03:04',
        ),
      );
    });

    it('ifconfig shows the interface', async () => {
      assert.equal(
        await run('ifconfig'),
        lines(
          'mc0 *     HWaddr 02:00:00:aa:bb:cc',
          '          UP BROADCAST ARP ETHERNET MTU:1500',
          '          inet addr:192.168.122.2 Mask:255.255.255.0 Gw:192.168.122.1',
          '          DNS:192.168.122.1 9.9.9.9',
          '          RX frames:100 bytes:64000 dropped:2',
          '          TX frames:90 bytes:120000 dropped:0',
          '          TCP connections:3 segments in:80 out:85 retransmitted:4 resets sent:1',
        ),
      );
    });

    it('ifconfig without a lease', async () => {
      const base = context.network();
      context.network = () => ({ ...base, dhcp: true, ipv4: undefined, gateway: undefined, dnsServers: [] });
      const output = await run('ifconfig');
      assert.match(output, /UP BROADCAST ARP ETHERNET DHCP MTU:1500\r\n {10}inet addr: none \(waiting for a DHCP lease\)\r\n {10}DNS:none\r\n/);
    });

    it('netstat shows every counter', async () => {
      assert.equal(
        await run('netstat'),
        lines(
          'Frames:  in 100 (64000 bytes), out 90 (120000 bytes), not sent 0',
          'Dropped: 9',
          '  7  multicast frame',
          '  2  IPv6 is not supported',
          'IPv4:    datagrams in 80, out 85; fragments in 3, out 3; reassembled 1',
          '         in reassembly 0 (0 bytes), timed out 1, evicted 0',
          'ARP:     2 entries, 0 resolving (0 datagrams waiting), 0 dropped unresolved',
          'ICMP:    echo requests 4, replies 4; errors sent 1 (0 rate-limited), received 0',
          'UDP:     datagrams in 5, out 5, to closed ports 1',
          'TCP:     segments in 80, out 85, retransmitted 4; resets sent 1, received 0',
          '         opens active 0, passive 6; timeouts 0; SYN cookies sent 0, accepted 0; challenge ACKs 0',
          '         connections: LISTEN 2, ESTABLISHED 3',
          '         out-of-order data held: 0 bytes; TIME-WAIT overflows 0',
          '         dropped: 7',
          '  5  closed-port',
          '  2  checksum',
        ),
      );
    });

    it('netstat without a network', async () => {
      context.counters = undefined;
      assert.equal(await run('netstat'), lines('The network is not running.'));
    });

    it('free shows bytes', async () => {
      assert.equal(
        await run('free'),
        lines(
          '              total         used         free          rss   heap total    heap used     external',
          'Mem:     8589934592   5368709120   3221225472     52428800      6000000      4200000      2000000',
        ),
      );
    });

    it('free -m shows MiB', async () => {
      const output = await run('free -m');
      assert.equal(output.split(CRLF)[1], 'Mem:           8192         5120         3072           50            5            4            1');
    });

    it('free -p shows pages', async () => {
      const output = await run('free -p');
      assert.equal(output.split(CRLF)[1], 'Pages:      2097152      1310720       786432        12800         1464         1025          488');
    });

    it('free -u shows the page size', async () => {
      assert.equal(await run('free -u'), lines('Page size:     4 KiB'));
    });

    it('free rejects other options', async () => {
      assert.equal(await run('free -z'), lines('Usage: free [-k|-m|-g|-p|-u]'));
    });

    it('mallinfo shows heap figures', async () => {
      const output = await run('mallinfo');
      const reported = output.split(CRLF);
      assert.equal(reported[0], ' Total heap size:                    6000000 B');
      assert.equal(reported[9], ' Maximum resident set:              61440000 B');
      assert.equal(reported.length - 1, 11);
    });

    it('halt stops the appliance and closes the session', async () => {
      client.send('halt\r\n');
      await client.waitForClose();
      assert.deepEqual(context.actions, ['halt']);
      assert.ok(client.text.endsWith('Halting the appliance\r\nlogout\r\n'));
    });

    it('reboot restarts the appliance and closes the session', async () => {
      client.send('reboot\r\n');
      await client.waitForClose();
      assert.deepEqual(context.actions, ['reboot']);
    });

    it('suspend asks the appliance', async () => {
      assert.equal(await run('suspend'), lines('Suspending; resume with the fake signal'));
      assert.deepEqual(context.actions, ['suspend']);
    });

    it('suspend reports a refusal', async () => {
      context.failNext = 'not supported';
      assert.equal(await run('suspend'), lines('Could not suspend: not supported'));
    });
  });

  describe('composition commands', () => {
    it('time prints the runtime', async () => {
      assert.match(await run('time echo hi'), /^hi\r\necho: command runtime 0m0\.\d{6}s\r\n$/);
    });

    it('time needs a command', async () => {
      assert.equal(await run('time'), lines('Usage: time COMMAND [ARG]...'));
    });

    it('repeat runs a command several times', async () => {
      assert.equal(await run('repeat 3 0 echo x'), lines('x', 'x', 'x'));
    });

    it('repeat stops at the first failure', async () => {
      assert.equal(await run('repeat 3 0 file nope'), lines('nope: no such object'));
    });

    it('repeat checks its numbers', async () => {
      assert.equal(await run('repeat x 0 echo'), lines('Usage: repeat TIMES DELAY-MS COMMAND [ARG]...'));
    });

    it('repeat reports an unknown command', async () => {
      assert.equal(await run('repeat 2 0 nope'), lines("Unknown command: nope. Type 'help' for the list of commands."));
    });

    it('xargs runs once per argument', async () => {
      assert.equal(await run('xargs file notes.txt index.html'), lines('notes.txt: text/plain, 23 B', 'index.html: text/html, 25 B'));
    });

    it('xargs without arguments runs once', async () => {
      assert.equal(await run('xargs uptime'), lines('up 1 day 2:03:04'));
    });
  });
});
