import * as assert from 'node:assert/strict';
import { LineEditor, type LineEvent } from '../../../src/ushell/line-editor';

function editor(maxBytes?: number): { editor: LineEditor; echoed: () => string; feed: (input: string | number[]) => LineEvent[] } {
  const chunks: Buffer[] = [];
  const instance = new LineEditor((bytes) => chunks.push(bytes), true, maxBytes);
  const feed = (input: string | number[]): LineEvent[] => {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
    const events: LineEvent[] = [];
    for (const byte of bytes) {
      const event = instance.feed(byte);
      if (event !== undefined) events.push(event);
    }
    return events;
  };
  return { editor: instance, echoed: () => Buffer.concat(chunks).toString('utf8'), feed };
}

describe('line editor', () => {
  it('ends a line with CR LF', () => {
    assert.deepEqual(editor().feed('ls\r\n'), [{ kind: 'line', line: 'ls' }]);
  });

  it('ends a line with CR NUL', () => {
    const { feed } = editor();
    assert.deepEqual(feed([0x6c, 0x73, 0x0d, 0x00, 0x70, 0x0d, 0x00]), [
      { kind: 'line', line: 'ls' },
      { kind: 'line', line: 'p' },
    ]);
  });

  it('ends a line with a bare LF', () => {
    assert.deepEqual(editor().feed('ls\n'), [{ kind: 'line', line: 'ls' }]);
  });

  it('takes CR LF as one line end', () => {
    assert.deepEqual(editor().feed('\r\n'), [{ kind: 'line', line: '' }]);
  });

  it('takes a bare CR as a line end', () => {
    assert.deepEqual(editor().feed('a\rb\r'), [
      { kind: 'line', line: 'a' },
      { kind: 'line', line: 'b' },
    ]);
  });

  it('erases with DEL', () => {
    assert.deepEqual(editor().feed([0x6c, 0x73, 0x78, 0x7f, 0x0d, 0x0a]), [{ kind: 'line', line: 'ls' }]);
  });

  it('erases with backspace', () => {
    assert.deepEqual(editor().feed([0x6c, 0x78, 0x08, 0x73, 0x0d]), [{ kind: 'line', line: 'ls' }]);
  });

  it('echoes a destructive backspace', () => {
    const { feed, echoed } = editor();
    feed([0x61, 0x7f]);
    assert.equal(echoed(), 'a\b \b');
  });

  it('ignores backspace on an empty line', () => {
    const { feed, echoed } = editor();
    feed([0x7f, 0x08]);
    assert.equal(echoed(), '');
  });

  it('erases a whole UTF-8 character', () => {
    assert.deepEqual(editor().feed([0xc2, 0xb5, 0x7f, 0x61, 0x0d]), [{ kind: 'line', line: 'a' }]);
  });

  it('cancels the line on ^C', () => {
    const { feed, echoed } = editor();
    assert.deepEqual(feed([0x61, 0x62, 0x03]), [{ kind: 'cancel' }]);
    assert.equal(echoed(), 'ab^C\r\n');
  });

  it('starts clean after ^C', () => {
    assert.deepEqual(editor().feed([0x61, 0x03, 0x62, 0x0d]), [{ kind: 'cancel' }, { kind: 'line', line: 'b' }]);
  });

  it('ends input on ^D with an empty line', () => {
    assert.deepEqual(editor().feed([0x04]), [{ kind: 'end-of-input' }]);
  });

  it('rings on ^D with text', () => {
    const { feed, echoed } = editor();
    assert.deepEqual(feed([0x61, 0x04]), []);
    assert.equal(echoed(), 'a\x07');
  });

  it('erases the line on ^U', () => {
    const { feed, echoed } = editor();
    assert.deepEqual(feed([0x61, 0xc2, 0xb5, 0x15, 0x62, 0x0d]), [{ kind: 'line', line: 'b' }]);
    assert.equal(echoed().startsWith('aµ\b \b\b \b'), true);
  });

  it('skips cursor key sequences', () => {
    assert.deepEqual(editor().feed([0x61, 0x1b, 0x5b, 0x41, 0x1b, 0x4f, 0x44, 0x1b, 0x5b, 0x31, 0x3b, 0x35, 0x43, 0x62, 0x0d]), [{ kind: 'line', line: 'ab' }]);
  });

  it('ignores other control bytes', () => {
    assert.deepEqual(editor().feed([0x61, 0x01, 0x02, 0x0c, 0x62, 0x0d]), [{ kind: 'line', line: 'ab' }]);
  });

  it('turns a tab into a space', () => {
    assert.deepEqual(editor().feed('a\tb\r'), [{ kind: 'line', line: 'a b' }]);
  });

  it('bounds the line length', () => {
    const { feed, echoed } = editor(4);
    assert.deepEqual(feed('abcdef\r'), [{ kind: 'line', line: 'abcd' }]);
    assert.equal(echoed(), 'abcd\x07\x07\r\n');
  });

  it('drops a UTF-8 character that does not fit', () => {
    assert.deepEqual(editor(4).feed([0x61, 0x62, 0x63, 0xe2, 0x82, 0xac, 0x0d]), [{ kind: 'line', line: 'abc' }]);
  });

  it('echoes typed characters', () => {
    const { feed, echoed } = editor();
    feed('µsh\r\n');
    assert.equal(echoed(), 'µsh\r\n');
  });

  it('stays silent without echo', () => {
    const chunks: Buffer[] = [];
    const silent = new LineEditor((bytes) => chunks.push(bytes), false);
    for (const byte of Buffer.from('ls\x7f\r')) silent.feed(byte);
    assert.equal(chunks.length, 0);
  });
});
