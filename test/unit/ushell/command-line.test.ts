import * as assert from 'node:assert/strict';
import { CommandLineError, splitCommandLine } from '../../../src/ushell/command-line';

describe('command line splitting', () => {
  it('splits on blanks', () => {
    assert.deepEqual(splitCommandLine('  cat   a.txt\tb.txt '), ['cat', 'a.txt', 'b.txt']);
  });

  it('returns nothing for a blank line', () => {
    assert.deepEqual(splitCommandLine('   '), []);
  });

  it('keeps single-quoted text', () => {
    assert.deepEqual(splitCommandLine("cat 'my file.txt'"), ['cat', 'my file.txt']);
  });

  it('unescapes double-quoted text', () => {
    assert.deepEqual(splitCommandLine('echo "say \\"hi\\" \\\\ now"'), ['echo', 'say "hi" \\ now']);
  });

  it('joins quoted and plain parts', () => {
    assert.deepEqual(splitCommandLine("a'b c'd"), ['ab cd']);
  });

  it('keeps an empty quoted word', () => {
    assert.deepEqual(splitCommandLine("echo ''"), ['echo', '']);
  });

  it('rejects an unterminated quote', () => {
    assert.throws(() => splitCommandLine('echo "abc'), CommandLineError);
  });
});
