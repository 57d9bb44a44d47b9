import * as assert from 'node:assert/strict';
import { BootpOperation, DhcpMessageType, emitDhcp, parseDhcp, type DhcpMessage } from '../../../../src/net/wire/dhcp';

const MAC = 0x02aabbccddee;

/** Returns the 240 bytes before the options: BOOTREPLY, xid 0x12345678, yiaddr 192.168.122.50, siaddr 192.168.122.1, the MAC, the cookie. */
function headerHex(overrides: { op?: string; htype?: string; hlen?: string; cookie?: string } = {}): string {
  return (
    (overrides.op ?? '02') +
    (overrides.htype ?? '01') +
    (overrides.hlen ?? '06') +
    '00' +
    '12345678' +
    '0003' +
    '8000' +
    '00000000' +
    'c0a87a32' +
    'c0a87a01' +
    '00000000' +
    '02aabbccddee' +
    '00'.repeat(10) +
    '00'.repeat(64) +
    '00'.repeat(128) +
    (overrides.cookie ?? '63825363')
  );
}

function parseHex(hex: string) {
  return parseDhcp(Buffer.from(hex, 'hex'));
}

describe('wire/dhcp', () => {
  it('emits a DISCOVER byte for byte', () => {
    const bytes = emitDhcp({
      op: BootpOperation.REQUEST,
      xid: 0x12345678,
      chaddr: MAC,
      options: {
        messageType: DhcpMessageType.DISCOVER,
        clientId: Buffer.from('0102aabbccddee', 'hex'),
        parameterRequestList: [1, 3, 6],
        maxMessageSize: 1500,
        hostName: 'mc',
      },
    });
    const header = '01010600' + '12345678' + '0000' + '0000' + '00'.repeat(16) + '02aabbccddee' + '00'.repeat(10 + 64 + 128) + '63825363';
    const options = '350101' + '0c026d63' + '3703010306' + '390205dc' + '3d070102aabbccddee' + 'ff';
    const expected = header + options + '00'.repeat(300 - 240 - options.length / 2);
    assert.equal(bytes.length, 300);
    assert.equal(bytes.toString('hex'), expected);
  });

  it('round-trips an ACK with every option', () => {
    const message: DhcpMessage = {
      op: BootpOperation.REPLY,
      hops: 1,
      xid: 0xdeadbeef,
      secs: 7,
      broadcast: true,
      ciaddr: 0,
      yiaddr: 0xc0a87a32,
      siaddr: 0xc0a87a01,
      giaddr: 0x0a000001,
      chaddr: MAC,
      options: {
        messageType: DhcpMessageType.ACK,
        subnetMask: 0xffffff00,
        routers: [0xc0a87a01, 0xc0a87a02],
        dnsServers: [0x08080808],
        hostName: 'appliance',
        requestedAddress: 0xc0a87a32,
        leaseSeconds: 43200,
        serverId: 0xc0a87a01,
        parameterRequestList: [1, 3, 6, 12, 51, 58, 59],
        message: 'all good',
        maxMessageSize: 1500,
        renewalSeconds: 21600,
        rebindingSeconds: 37800,
        clientId: Uint8Array.from([1, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]),
      },
    };
    const parsed = parseDhcp(emitDhcp(message));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.deepEqual(parsed.message, message);
  });

  it('splits and rejoins values over 255 bytes', () => {
    const dnsServers = Array.from({ length: 70 }, (_, i) => 0x0a000000 + i);
    const bytes = emitDhcp({ op: BootpOperation.REPLY, xid: 1, chaddr: MAC, options: { messageType: DhcpMessageType.OFFER, dnsServers } });
    assert.equal(bytes[243], 6);
    assert.equal(bytes[244], 255);
    assert.equal(bytes[243 + 2 + 255], 6);
    assert.equal(bytes[243 + 2 + 255 + 1], 25);
    const parsed = parseDhcp(bytes);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.message.options.dnsServers, dnsServers);
  });

  it('parses the header fields', () => {
    const parsed = parseHex(headerHex() + '350102' + 'ff');
    assert.ok(parsed.ok);
    assert.equal(parsed.message.op, BootpOperation.REPLY);
    assert.equal(parsed.message.xid, 0x12345678);
    assert.equal(parsed.message.secs, 3);
    assert.equal(parsed.message.broadcast, true);
    assert.equal(parsed.message.yiaddr, 0xc0a87a32);
    assert.equal(parsed.message.siaddr, 0xc0a87a01);
    assert.equal(parsed.message.chaddr, MAC);
    assert.equal(parsed.message.options.messageType, DhcpMessageType.OFFER);
  });

  it('concatenates repeated options (RFC 3396)', () => {
    const parsed = parseHex(headerHex() + '350105' + '0602c0a8' + '00' + '06027a01' + 'ff');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.deepEqual(parsed.message.options.dnsServers, [0xc0a87a01]);
  });

  it('reads options from file and sname on overload', () => {
    const hex = headerHex();
    const fileStart = 108 * 2;
    const snameStart = 44 * 2;
    const withFile = hex.slice(0, fileStart) + ('0104ffffff00' + 'ff').padEnd(256, '0') + hex.slice(fileStart + 256);
    const withBoth = withFile.slice(0, snameStart) + ('0304c0a87a01' + 'ff').padEnd(128, '0') + withFile.slice(snameStart + 128);
    const parsed = parseHex(withBoth + '350105' + '340103' + 'ff');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.equal(parsed.message.options.subnetMask, 0xffffff00);
    assert.deepEqual(parsed.message.options.routers, [0xc0a87a01]);
  });

  it('ignores unknown options, padding and a missing END', () => {
    const parsed = parseHex(headerHex() + '0000' + 'f00411223344' + '350102' + '330400000e10');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.equal(parsed.message.options.leaseSeconds, 3600);
  });

  it('stops reading at END', () => {
    const parsed = parseHex(headerHex() + '350102' + 'ff' + '0104ffff');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.equal(parsed.message.options.subnetMask, undefined);
  });

  it('strips a NUL after text options', () => {
    const parsed = parseHex(headerHex() + '350106' + '3803626164' + '0c036d6300' + 'ff');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.equal(parsed.message.options.message, 'bad');
    assert.equal(parsed.message.options.hostName, 'mc');
  });

  it('rejects malformed messages with a reason', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['too short', headerHex().slice(0, 400), /shorter than the 240-byte header/],
      ['bad operation', headerHex({ op: '03' }) + '350102ff', /unknown BOOTP operation 3/],
      ['not Ethernet', headerHex({ htype: '06' }) + '350102ff', /hardware type 6 .* not Ethernet/],
      ['bad address length', headerHex({ hlen: '10' }) + '350102ff', /address length 16 is not Ethernet/],
      ['bad cookie', headerHex({ cookie: '63825364' }) + '350102ff', /magic cookie 0x63825364/],
      ['no length byte', headerHex() + '350102' + '01', /option 1 in the options has no length byte/],
      ['option past the end', headerHex() + '350102' + '0104ffff', /option 1 of length 4 runs past the end/],
      ['mask of 3 bytes', headerHex() + '350102' + '0103ffffff' + 'ff', /option 1: an address takes 4 bytes, not 3/],
      ['router list of 6 bytes', headerHex() + '350102' + '0306c0a87a010000' + 'ff', /option 3: .*multiple of 4 bytes, not 6/],
      ['empty router list', headerHex() + '350102' + '0300' + 'ff', /option 3: .*not 0/],
      ['lease of 2 bytes', headerHex() + '350102' + '33020e10' + 'ff', /option 51: takes 4 bytes, not 2/],
      ['message type of 2 bytes', headerHex() + '35020102' + 'ff', /option 53: takes 1 byte, not 2/],
      ['empty host name', headerHex() + '350102' + '0c00' + 'ff', /option 12: empty text/],
      ['empty client id', headerHex() + '350102' + '3d00' + 'ff', /option 61: empty value/],
      ['no message type', headerHex() + '0104ffffff00' + 'ff', /no DHCP message type/],
      ['unknown message type', headerHex() + '350109' + 'ff', /unknown DHCP message type 9/],
      ['bad overload value', headerHex() + '350102' + '340104' + 'ff', /invalid option overload value 04/],
      ['overload in file', headerHex().slice(0, 216) + '340101ff'.padEnd(256, '0') + headerHex().slice(472) + '350102' + '340101' + 'ff', /option overload inside the file field/],
      ['file option past the end', headerHex().slice(0, 216) + '00'.repeat(127) + '01' + headerHex().slice(472) + '350102' + '340101' + 'ff', /option 1 in the file field has no length byte/],
    ];
    for (const [label, hex, reason] of cases) {
      const result = parseHex(hex);
      assert.equal(result.ok, false, label);
      if (!result.ok) assert.match(result.reason, reason, label);
    }
  });
});
