// Runs bin/minicache inside a test namespace and waits for its ready line.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { FIXTURES_DIR } from './fixtures-dir';
import type { TestNamespace } from './netns';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = FIXTURES_DIR;
const MINICACHE = path.join(PROJECT_ROOT, 'bin', 'minicache');

/** Time the appliance may take to print its ready line. */
const READY_TIMEOUT_MS = 20_000;

export class ApplianceProcess {
  output = '';
  private exitCode: number | null | undefined;
  private exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (data: Buffer) => {
      this.output += data.toString();
    });
    child.stderr?.on('data', (data: Buffer) => {
      this.output += data.toString();
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the appliance did not start');
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** Resolves once the log shows `pattern`; rejects when the process exits or time runs out. */
  async waitForOutput(pattern: RegExp, timeoutMs = READY_TIMEOUT_MS): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match !== null) return match;
      if (this.hasExited) throw new Error(`appliance exited (${this.exitCode}) before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`appliance did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends a signal and waits for the exit status (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (!this.hasExited) this.child.kill(signal);
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const result = await Promise.race([this.exited, timer]);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(`appliance did not exit within ${timeoutMs} ms after ${signal}:\n${this.output}`);
    }
    return result;
  }

  waitForExit(): Promise<number | null> {
    return this.exited;
  }
}

/** Starts the appliance in `namespace` with `args` and waits until it is ready. */
export async function startAppliance(namespace: TestNamespace, args: readonly string[], options: { waitForReady?: boolean } = {}): Promise<ApplianceProcess> {
  const child = namespace.spawn(process.execPath, [MINICACHE, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const appliance = new ApplianceProcess(child);
  if (options.waitForReady !== false) await appliance.waitForOutput(/ready: /);
  return appliance;
}

/** Decompresses fixtures/shfs/<name>.gz into `dir` and returns the path of the image. */
export function decompressFixture(name: string, dir: string): string {
  const target = path.join(dir, name);
  fs.writeFileSync(target, zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, 'shfs', `${name}.gz`))));
  return target;
}
