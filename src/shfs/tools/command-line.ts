// Command lines of the SHFS tools: GNU-style short and long options in any
// order with the positional arguments (like getopt_long), kept in their
// order because shfs-admin runs its options as a sequence of commands.
import { parseArgs } from 'node:util';

export interface OptionSpec {
  long: string;
  short?: string;
  /** True when the option takes a value (-n NAME, --name=NAME). */
  takesValue: boolean;
}

export interface ParsedOption {
  /** The long name of the option. */
  name: string;
  value?: string;
  /** The option as written, e.g. "-n" or "--name", for messages. */
  written: string;
}

export interface ParsedCommandLine {
  options: ParsedOption[];
  positionals: string[];
}

/** A bad command line; the tools print its message and a hint to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseCommandLine(argv: readonly string[], specs: readonly OptionSpec[]): ParsedCommandLine {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple: boolean }> = {};
  for (const spec of specs) {
    config[spec.long] = { type: spec.takesValue ? 'string' : 'boolean', short: spec.short, multiple: true };
  }

  // Non-strict parsing keeps unknown options as tokens, so that the message can name them.
  const { tokens } = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: false, tokens: true });
  const options: ParsedOption[] = [];
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;

    const spec = specs.find((candidate) => candidate.long === token.name);
    if (!spec) throw new UsageError(`unknown option '${token.rawName}'`);
    if (spec.takesValue && token.value === undefined) throw new UsageError(`option '${token.rawName}' needs a value`);
    if (!spec.takesValue && token.value !== undefined) throw new UsageError(`option '${token.rawName}' takes no value`);
    options.push({ name: spec.long, value: token.value, written: token.rawName });
  }
  return { options, positionals };
}

/** Parses a whole decimal number for an option such as -b 64; throws a UsageError naming the option. */
export function parseCount(option: ParsedOption): number {
  const text = option.value ?? '';
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`option '${option.written}' needs a whole number, got '${text}'`);
  }
  return Number(text);
}

/** Parses a size in bytes with an optional K, M, G or T suffix (powers of 1024). */
export function parseByteSize(option: ParsedOption): number {
  const match = /^(\d+)([KMGT]?)(?:i?B)?$/i.exec(option.value ?? '');
  if (!match) throw new UsageError(`option '${option.written}' needs a size in bytes (e.g. 64M), got '${option.value ?? ''}'`);
  const exponent = ' KMGT'.indexOf((match[2] || ' ').toUpperCase());
  return Number(match[1]) * 1024 ** exponent;
}
