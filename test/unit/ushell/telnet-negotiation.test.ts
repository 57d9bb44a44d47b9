import * as assert from 'node:assert/strict';
import { DO, DONT, OPTION_ECHO, OPTION_SUPPRESS_GO_AHEAD, WILL, WONT } from '../../../src/ushell/telnet-codec';
import { TelnetNegotiation } from '../../../src/ushell/telnet-negotiation';

const OPTION_TERMINAL_TYPE = 24;
const OPTION_WINDOW_SIZE = 31;

function negotiation(): { state: TelnetNegotiation; sent: Array<[number, number]> } {
  const sent: Array<[number, number]> = [];
  const state = new TelnetNegotiation((verb, option) => sent.push([verb, option]));
  return { state, sent };
}

describe('telnet negotiation', () => {
  it('offers echo and suppress-go-ahead', () => {
    const { state, sent } = negotiation();
    state.start();
    assert.deepEqual(sent, [
      [WILL, OPTION_ECHO],
      [WILL, OPTION_SUPPRESS_GO_AHEAD],
    ]);
  });

  it('does not echo before the client agrees', () => {
    const { state } = negotiation();
    state.start();
    assert.equal(state.echoing, false);
  });

  it('echoes once the client agrees, without a reply', () => {
    const { state, sent } = negotiation();
    state.start();
    sent.length = 0;
    state.receive(DO, OPTION_ECHO);
    assert.equal(state.echoing, true);
    assert.deepEqual(sent, []);
  });

  it('ignores a repeated DO', () => {
    const { state, sent } = negotiation();
    state.start();
    state.receive(DO, OPTION_ECHO);
    sent.length = 0;
    state.receive(DO, OPTION_ECHO);
    assert.deepEqual(sent, []);
  });

  it('accepts a refusal without a reply', () => {
    const { state, sent } = negotiation();
    state.start();
    sent.length = 0;
    state.receive(DONT, OPTION_ECHO);
    assert.equal(state.echoing, false);
    assert.deepEqual(sent, []);
  });

  it('confirms turning echo off', () => {
    const { state, sent } = negotiation();
    state.start();
    state.receive(DO, OPTION_ECHO);
    sent.length = 0;
    state.receive(DONT, OPTION_ECHO);
    assert.equal(state.echoing, false);
    assert.deepEqual(sent, [[WONT, OPTION_ECHO]]);
  });

  it('refuses an unsupported DO', () => {
    const { state, sent } = negotiation();
    state.receive(DO, OPTION_TERMINAL_TYPE);
    assert.deepEqual(sent, [[WONT, OPTION_TERMINAL_TYPE]]);
  });

  it('refuses an unsupported WILL', () => {
    const { state, sent } = negotiation();
    state.receive(WILL, OPTION_WINDOW_SIZE);
    assert.deepEqual(sent, [[DONT, OPTION_WINDOW_SIZE]]);
    assert.equal(state.isRemoteEnabled(OPTION_WINDOW_SIZE), false);
  });

  it('accepts the client suppressing go-ahead', () => {
    const { state, sent } = negotiation();
    state.receive(WILL, OPTION_SUPPRESS_GO_AHEAD);
    assert.deepEqual(sent, [[DO, OPTION_SUPPRESS_GO_AHEAD]]);
    assert.equal(state.isRemoteEnabled(OPTION_SUPPRESS_GO_AHEAD), true);
  });

  it('confirms a WONT after WILL', () => {
    const { state, sent } = negotiation();
    state.receive(WILL, OPTION_SUPPRESS_GO_AHEAD);
    sent.length = 0;
    state.receive(WONT, OPTION_SUPPRESS_GO_AHEAD);
    assert.deepEqual(sent, [[DONT, OPTION_SUPPRESS_GO_AHEAD]]);
  });

  it('ignores a WONT for a disabled option', () => {
    const { state, sent } = negotiation();
    state.receive(WONT, OPTION_TERMINAL_TYPE);
    assert.deepEqual(sent, []);
  });

  it('enables echo on a DO it did not offer', () => {
    const { state, sent } = negotiation();
    state.receive(DO, OPTION_ECHO);
    assert.deepEqual(sent, [[WILL, OPTION_ECHO]]);
    assert.equal(state.echoing, true);
  });
});
