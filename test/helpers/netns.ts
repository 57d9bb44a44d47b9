// Network namespaces for integration tests. Each test builds its own
// namespace (unique name), runs the appliance and every client inside it
// with `ip netns exec`, and deletes it afterwards, also when the test
// fails or the process exits early. Nothing here touches the root
// namespace's interfaces.
import { execFile, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

const created = new Set<string>();
let sequence = 0;

// Last-resort cleanup when mocha exits without running after() hooks.
process.once('exit', () => {
  for (const name of created) spawnSync('ip', ['netns', 'del', name]);
});

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Skips the calling suite loudly when not root (integration tests need namespaces). */
export function requireRoot(context: Mocha.Context): void {
  if (isRoot()) return;
  process.stderr.write(`SKIPPED: "${context.currentTest?.parent?.fullTitle() ?? 'integration tests'}" need root to create network namespaces\n`);
  context.skip();
}

export class TestNamespace {
  private readonly children = new Set<ChildProcess>();

  private constructor(readonly name: string) {}

  /** Creates a namespace named mc-<label>-<pid>-<n> with its loopback up. */
  static async create(label: string): Promise<TestNamespace> {
    const name = `mc-${label}-${process.pid}-${sequence++}`.slice(0, 60);
    const result = await run('ip', ['netns', 'add', name]);
    if (result.code !== 0) throw new Error(`ip netns add ${name} failed: ${result.stderr.trim()}`);
    created.add(name);
    const namespace = new TestNamespace(name);
    await namespace.check('ip', ['link', 'set', 'lo', 'up']);
    return namespace;
  }

  /** Runs a command inside the namespace and returns its output, whatever the exit status. */
  exec(command: string, args: readonly string[] = [], options: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.name, command, ...args], options);
  }

  /** Like exec, but rejects when the command fails. */
  async check(command: string, args: readonly string[] = [], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const result = await this.exec(command, args, options);
    if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
    return result;
  }

  /** Starts a long-running process inside the namespace; destroy() kills it. */
  spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Adds a bridge with an address (the host side of the appliance's segment). */
  async addBridge(name = 'virbr0', cidr = '192.168.122.1/24'): Promise<void> {
    await this.check('ip', ['link', 'add', name, 'type', 'bridge']);
    await this.check('ip', ['addr', 'add', cidr, 'dev', name]);
    await this.check('ip', ['link', 'set', name, 'up']);
  }

  /** Names of the interfaces in the namespace. */
  async interfaces(): Promise<string[]> {
    const result = await this.check('ip', ['-o', 'link', 'show']);
    return result.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split(':')[1].trim().split('@')[0]);
  }

  /** Kills what runs inside, then deletes the namespace. */
  async destroy(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    const pids = await run('ip', ['netns', 'pids', this.name]);
    for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await run('ip', ['netns', 'del', this.name]);
    created.delete(this.name);
  }
}

function run(command: string, args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout: stdout.toString('latin1'), stderr: stderr.toString() });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
