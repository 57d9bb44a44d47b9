import * as assert from 'node:assert/strict';
import { AYT, DO, escapeIac, IAC, IP, SB, SE, TelnetDecoder, WILL, WONT } from '../../../src/ushell/telnet-codec';

interface Decoded {
  data: number[];
  negotiations: Array<[number, number]>;
  subnegotiations: Array<[number, number[]]>;
  commands: number[];
}

function decode(...chunks: number[][]): Decoded {
  const decoded: Decoded = { data: [], negotiations: [], subnegotiations: [], commands: [] };
  const decoder = new TelnetDecoder({
    data: (bytes) => decoded.data.push(...bytes),
    negotiation: (verb, option) => decoded.negotiations.push([verb, option]),
    subnegotiation: (option, data) => decoded.subnegotiations.push([option, [...data]]),
    command: (code) => decoded.commands.push(code),
  });
  for (const chunk of chunks) decoder.feed(Buffer.from(chunk));
  return decoded;
}

describe('telnet decoder', () => {
  it('passes plain data through', () => {
    assert.deepEqual(decode([0x6c, 0x73, 0x0d, 0x0a]).data, [0x6c, 0x73, 0x0d, 0x0a]);
  });

  it('reads a negotiation', () => {
    assert.deepEqual(decode([0x61, IAC, DO, 1, 0x62]).negotiations, [[DO, 1]]);
  });

  it('keeps data around a negotiation', () => {
    assert.deepEqual(decode([0x61, IAC, DO, 1, 0x62]).data, [0x61, 0x62]);
  });

  it('reads a negotiation split across chunks', () => {
    assert.deepEqual(decode([IAC], [WONT], [3]).negotiations, [[WONT, 3]]);
  });

  it('turns IAC IAC into a data byte', () => {
    assert.deepEqual(decode([0x41, IAC, IAC, 0x42]).data, [0x41, 255, 0x42]);
  });

  it('reads a subnegotiation', () => {
    assert.deepEqual(decode([IAC, SB, 24, 0, 0x78, IAC, IAC, IAC, SE, 0x7a]).subnegotiations, [[24, [0, 0x78, 255]]]);
  });

  it('keeps subnegotiation bytes out of the data', () => {
    assert.deepEqual(decode([IAC, SB, 31, 0, 80, 0, 24, IAC, SE, 0x7a]).data, [0x7a]);
  });

  it('reads a subnegotiation split across chunks', () => {
    assert.deepEqual(decode([IAC, SB, 31, 0], [80, IAC], [SE]).subnegotiations, [[31, [0, 80]]]);
  });

  it('reports two-byte commands', () => {
    assert.deepEqual(decode([IAC, IP, IAC, AYT]).commands, [IP, AYT]);
  });

  it('doubles IAC on output', () => {
    assert.deepEqual([...escapeIac(Buffer.from([1, 255, 2]))], [1, 255, 255, 2]);
  });

  it('leaves output without IAC alone', () => {
    const bytes = Buffer.from('µsh# ', 'utf8');
    assert.equal(escapeIac(bytes), bytes);
  });

  it('decodes WILL for any option', () => {
    assert.deepEqual(decode([IAC, WILL, 200]).negotiations, [[WILL, 200]]);
  });
});
