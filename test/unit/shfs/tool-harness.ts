// Test helper: runs a tool's main() in-process with captured output.
import { PassThrough, Readable, Writable } from 'node:stream';
import type { ToolIO } from '../../../src/shfs/tools/tool-io';

export interface ToolResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

class Capture extends Writable {
  readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export async function runTool(
  main: (argv: string[], io?: Partial<ToolIO>) => Promise<number>,
  argv: string[],
  io: Partial<ToolIO> = {},
): Promise<ToolResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const status = await main(argv, { stdout, stderr, stdin: Readable.from([]), stdinIsTTY: false, stderrIsTTY: false, ...io });
  return { status, stdout: Buffer.concat(stdout.chunks), stderr: stderr.text() };
}

/** Returns a stand-in for a terminal on standard input that sends `line`. */
export function terminalInput(line: string): Partial<ToolIO> {
  const stdin = new PassThrough();
  stdin.end(`${line}\n`);
  return { stdin, stdinIsTTY: true };
}
