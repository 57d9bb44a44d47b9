import * as assert from 'node:assert/strict';
import { DnsClass, DnsRcode, DnsType, emitDns, encodeDnsName, parseDns, parseDnsHeader, type DnsMessage } from '../../../../src/net/wire/dns';

const QUERY_HEX = '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '076578616d706c6503636f6d00' + '0001' + '0001';

/**
 * A compressed answer for www.example.com. The question name is at offset
 * 12, with "example" at offset 16. The CNAME's data (from offset 45) is
 * "web" plus a pointer to offset 16, and the A record's name points to 45.
 */
const COMPRESSED_ANSWER_HEX =
  'beef' +
  '8180' +
  '0001' +
  '0002' +
  '0000' +
  '0000' +
  '03777777076578616d706c6503636f6d00' +
  '0001' +
  '0001' +
  'c00c' + '0005' + '0001' + '0000012c' + '0006' + '03776562' + 'c010' +
  'c02d' + '0001' + '0001' + '0000003c' + '0004' + 'c0a87a01';

function header(counts: { qd?: number; an?: number; ns?: number; ar?: number } = {}, flags = '8180'): string {
  const count = (n = 0) => n.toString(16).padStart(4, '0');
  return 'abcd' + flags + count(counts.qd) + count(counts.an) + count(counts.ns) + count(counts.ar);
}

function fullMessage(overrides: Partial<DnsMessage> = {}): DnsMessage {
  return {
    id: 0x4242,
    response: true,
    opcode: 0,
    authoritative: true,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: true,
    rcode: DnsRcode.NXDOMAIN,
    questions: [{ name: 'missing.example', type: DnsType.A, class: DnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...overrides,
  };
}

describe('wire/dns', () => {
  it('emits a query byte for byte', () => {
    const bytes = emitDns({
      id: 0x1234,
      response: false,
      opcode: 0,
      authoritative: false,
      truncated: false,
      recursionDesired: true,
      recursionAvailable: false,
      rcode: 0,
      questions: [{ name: 'example.com', type: DnsType.A, class: DnsClass.IN }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    assert.equal(bytes.toString('hex'), QUERY_HEX);
  });

  it('parses a query', () => {
    const parsed = parseDns(Buffer.from(QUERY_HEX, 'hex'));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.equal(parsed.message.id, 0x1234);
    assert.equal(parsed.message.response, false);
    assert.equal(parsed.message.recursionDesired, true);
    assert.deepEqual(parsed.message.questions, [{ name: 'example.com', type: 1, class: 1 }]);
  });

  it('parses a compressed answer', () => {
    const parsed = parseDns(Buffer.from(COMPRESSED_ANSWER_HEX, 'hex'));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    const message = parsed.message;
    assert.equal(message.response, true);
    assert.equal(message.recursionAvailable, true);
    assert.equal(message.rcode, DnsRcode.NOERROR);
    assert.deepEqual(message.answers, [
      { name: 'www.example.com', type: DnsType.CNAME, class: DnsClass.IN, ttl: 300, data: { kind: 'name', name: 'web.example.com' } },
      { name: 'web.example.com', type: DnsType.A, class: DnsClass.IN, ttl: 60, data: { kind: 'address', address: 0xc0a87a01 } },
    ]);
  });

  it('parses the header flags', () => {
    const parsed = parseDnsHeader(Buffer.from('beef' + '8793' + '0001000200030004', 'hex'));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.header, {
      id: 0xbeef,
      response: true,
      opcode: 0,
      authoritative: true,
      truncated: true,
      recursionDesired: true,
      recursionAvailable: true,
      rcode: DnsRcode.NXDOMAIN,
      questionCount: 1,
      answerCount: 2,
      authorityCount: 3,
      additionalCount: 4,
    });
  });

  it('round-trips every section and record kind', () => {
    const message = fullMessage({
      answers: [
        { name: 'alias.example', type: DnsType.CNAME, class: DnsClass.IN, ttl: 10, data: { kind: 'name', name: 'missing.example' } },
        { name: 'text.example', type: DnsType.TXT, class: DnsClass.IN, ttl: 0xffffffff, data: { kind: 'raw', bytes: Uint8Array.from([3, 0x61, 0x62, 0x63]) } },
      ],
      authorities: [
        {
          name: 'example',
          type: DnsType.SOA,
          class: DnsClass.IN,
          ttl: 3600,
          data: {
            kind: 'soa',
            soa: { primaryServer: 'ns.example', mailbox: 'hostmaster.example', serial: 2024010101, refreshSeconds: 7200, retrySeconds: 900, expireSeconds: 1209600, minimumSeconds: 60 },
          },
        },
      ],
      additionals: [{ name: '', type: DnsType.OPT, class: 1232, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }],
    });
    const parsed = parseDns(emitDns(message));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.deepEqual(parsed.message, message);
  });

  it('round-trips escaped labels', () => {
    const name = 'a\\.b\\032c.x\\\\y.test';
    const encoded = encodeDnsName(name);
    assert.ok(encoded.ok);
    assert.equal(Buffer.from(encoded.bytes).toString('hex'), '05612e622063' + '03785c79' + '0474657374' + '00');
    const parsed = parseDns(emitDns(fullMessage({ questions: [{ name, type: DnsType.A, class: DnsClass.IN }] })));
    assert.ok(parsed.ok);
    assert.equal(parsed.message.questions[0].name, name);
  });

  it('encodes names at the limits', () => {
    const label63 = 'a'.repeat(63);
    const name255 = [label63, label63, label63, 'b'.repeat(61)].join('.');
    const encodedLabel = encodeDnsName(`${label63}.test.`);
    assert.ok(encodedLabel.ok);
    assert.equal(encodedLabel.bytes.length, 1 + 63 + 5 + 1);
    const encodedName = encodeDnsName(name255);
    assert.ok(encodedName.ok);
    assert.equal(encodedName.bytes.length, 255);
    const root = encodeDnsName('.');
    assert.ok(root.ok);
    assert.deepEqual(Array.from(root.bytes), [0]);
  });

  it('rejects invalid names with a reason', () => {
    const label63 = 'a'.repeat(63);
    const cases: Array<[string, RegExp]> = [
      ['a..b', /empty label in "a\.\.b"/],
      ['.a', /empty label/],
      ['a.b..', /empty label/],
      [`${'c'.repeat(64)}.test`, /label of 64 bytes .* longer than 63/],
      [[label63, label63, label63, 'b'.repeat(62)].join('.'), /256 bytes long in wire form, above the maximum of 255/],
      ['bad\\256.test', /escape \\256 .* above 255/],
      ['trailing\\', /incomplete escape/],
      ['bücher.example', /outside ASCII .* xn--/],
    ];
    for (const [name, reason] of cases) {
      const result = encodeDnsName(name);
      assert.equal(result.ok, false, name);
      if (!result.ok) assert.match(result.reason, reason, name);
    }
  });

  it('throws on emitting an invalid name', () => {
    assert.throws(() => emitDns(fullMessage({ questions: [{ name: 'a..b', type: 1, class: 1 }] })), RangeError);
  });

  it('rejects malformed messages with a reason', () => {
    const question = '03777777076578616d706c6503636f6d00' + '00010001';
    const long = ('3f' + '61'.repeat(63)).repeat(4) + '00';
    const cases: Array<[string, string, RegExp]> = [
      ['short header', 'abcd8180000100', /shorter than the 12-byte header/],
      ['question past the end', header({ qd: 2 }) + question, /question 2: name at offset 33 runs past the end/],
      ['question without type', header({ qd: 1 }) + question.slice(0, -4), /question 1 runs past the end/],
      ['label past the end', header({ qd: 1 }) + '0561626300', /label at offset 12 runs past the end/],
      ['pointer to itself', header({ qd: 1 }) + 'c00c' + '00010001', /pointer at offset 12 to offset 12 does not point backwards/],
      ['pointer forward', header({ qd: 1 }) + 'c00e' + '00' + '00010001', /pointer at offset 12 to offset 14 does not point backwards/],
      ['pointer loop', header({ qd: 1, an: 1 }) + question + '0161' + 'c021' + '0001000100000000' + '0000', /answer record 1: compression pointer at offset 35 to offset 33 does not point backwards/],
      ['pointer cut short', header({ qd: 1 }) + 'c0', /compression pointer at offset 12 runs past the end/],
      ['reserved label type 01', header({ qd: 1 }) + '4100' + '00010001', /label type 0x40 at offset 12 is not supported/],
      ['reserved label type 10', header({ qd: 1 }) + '8100' + '00010001', /label type 0x80 at offset 12 is not supported/],
      ['name over 255 bytes', header({ qd: 1 }) + long + '00010001', /name at offset 12 is longer than 255 bytes/],
      ['record header cut short', header({ qd: 1, an: 1 }) + question + 'c00c00010001', /answer record 1: record header runs past the end/],
      ['record data past the end', header({ qd: 1, an: 1 }) + question + 'c00c' + '0001000100000e10' + '0004' + 'c0a8', /record data of 4 bytes runs past the end/],
      ['address of 5 bytes', header({ qd: 1, an: 1 }) + question + 'c00c' + '0001000100000e10' + '0005' + 'c0a87a0101', /type 1 record of www.example.com: an address takes 4 bytes, not 5/],
      ['CNAME with extra bytes', header({ qd: 1, an: 1 }) + question + 'c00c' + '0005000100000e10' + '0004' + 'c00cffff', /type 5 record .*: 2 bytes after the name/],
      ['CNAME name past its data', header({ qd: 1, an: 1 }) + question + 'c00c' + '0005000100000e10' + '0002' + '0361' + '6263', /label at offset 45 runs past the end of its data/],
      ['SOA numbers short', header({ qd: 1, ns: 1 }) + question + 'c010' + '0006000100000e10' + '0006' + 'c010c010' + '0000', /authority record 1: .*SOA numbers take 20 bytes, not 2/],
      ['additional past the end', header({ qd: 1, ar: 1 }) + question, /additional record 1: name at offset 33 runs past the end/],
    ];
    for (const [label, hex, reason] of cases) {
      const result = parseDns(Buffer.from(hex, 'hex'));
      assert.equal(result.ok, false, label);
      if (!result.ok) assert.match(result.reason, reason, label);
    }
  });
});
