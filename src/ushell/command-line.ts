// Splits a command line into words separated by blanks. Single quotes keep
// everything up to the next single quote. Double quotes keep everything up to
// the next unescaped double quote, and inside them \" and \\ are " and \.
// The original µShell had no quoting, but object names with blanks need it.

export class CommandLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandLineError';
  }
}

const BLANKS = new Set([' ', '\t', '\v', '\f', '\r', '\n']);

/** Returns the words of `line`; throws CommandLineError on an unterminated quote. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;

  while (i < line.length) {
    const character = line[i];
    if (BLANKS.has(character)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
      continue;
    }

    if (character === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new CommandLineError('unterminated single quote');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
      continue;
    }

    if (character === '"') {
      let text = '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
        text += line[j];
      }
      if (j >= line.length) throw new CommandLineError('unterminated double quote');
      word = (word ?? '') + text;
      i = j + 1;
      continue;
    }

    word = (word ?? '') + character;
    i++;
  }

  if (word !== undefined) words.push(word);
  return words;
}
