import * as assert from 'node:assert/strict';
import { UsageError, parseByteSize, parseCommandLine, parseCount } from '../../../src/shfs/tools/command-line';

const SPECS = [
  { long: 'add-obj', short: 'a', takesValue: true },
  { long: 'mime', short: 'm', takesValue: true },
  { long: 'force', short: 'f', takesValue: false },
  { long: 'ls', short: 'l', takesValue: false },
];

describe('shfs command line', () => {
  it('keeps options in order among positionals', () => {
    const parsed = parseCommandLine(['-a', 'x.html', 'disk.img', '-mtext/html', '--ls', '-fl'], SPECS);
    assert.deepEqual(
      parsed.options.map((option) => [option.name, option.value]),
      [
        ['add-obj', 'x.html'],
        ['mime', 'text/html'],
        ['ls', undefined],
        ['force', undefined],
        ['ls', undefined],
      ],
    );
    assert.deepEqual(parsed.positionals, ['disk.img']);
  });

  it('takes the next word as a value even with a dash', () => {
    const parsed = parseCommandLine(['-a', '-m'], SPECS);
    assert.deepEqual(parsed.options[0].value, '-m');
  });

  it('reads --name=value', () => {
    assert.equal(parseCommandLine(['--mime=text/plain'], SPECS).options[0].value, 'text/plain');
  });

  it('rejects unknown options', () => {
    assert.throws(() => parseCommandLine(['--nope'], SPECS), new UsageError("unknown option '--nope'"));
  });

  it('rejects a missing value', () => {
    assert.throws(() => parseCommandLine(['disk.img', '--mime'], SPECS), new UsageError("option '--mime' needs a value"));
  });

  it('rejects a value for a flag', () => {
    assert.throws(() => parseCommandLine(['--force=yes'], SPECS), new UsageError("option '--force' takes no value"));
  });

  it('parses counts and sizes', () => {
    assert.equal(parseCount({ name: 'b', value: '64', written: '-b' }), 64);
    assert.throws(() => parseCount({ name: 'b', value: '-1', written: '-b' }), /option '-b' needs a whole number, got '-1'/);
    assert.equal(parseByteSize({ name: 'S', value: '64M', written: '-S' }), 64 * 1024 * 1024);
    assert.equal(parseByteSize({ name: 'S', value: '2GiB', written: '-S' }), 2 * 1024 ** 3);
    assert.equal(parseByteSize({ name: 'S', value: '4096', written: '-S' }), 4096);
    assert.throws(() => parseByteSize({ name: 'S', value: 'big', written: '-S' }), /needs a size in bytes/);
  });
});
