// One namespace per test suite with a bridge (virbr0, 192.168.122.1/24), the
// appliance on a TAP attached to it serving the fixture volume mixed.img
// (with its 300000-byte big.bin) at APPLIANCE_IP with a fixed MAC, and a
// temporary folder. destroy() stops the appliance and removes the namespace
// and the folder, also after a failure.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decompressFixture, startAppliance, type ApplianceProcess } from './appliance-process';
import { TestNamespace } from './netns';

export const APPLIANCE_IP = '192.168.122.2';
export const APPLIANCE_MAC = '02:00:00:00:00:02';
export const TAP_NAME = 'mctest0';
export const BIG_BIN_BYTES = 300_000;
export const BIG_BIN_SHA256 = '97177e57bfa8a41101d10da587e2fcfb068c1ec3cbf2222e5b782403397b8d9b';

export interface ApplianceNamespaceOptions {
  /** Arguments added to the appliance's command line. */
  args?: readonly string[];
  /** Called after the bridge exists and before the appliance starts (to add scapy's port). */
  prepare?: (namespace: TestNamespace) => Promise<void>;
}

export class ApplianceNamespace {
  private constructor(
    readonly namespace: TestNamespace,
    readonly dir: string,
    readonly appliance: ApplianceProcess,
  ) {}

  /** Creates the namespace and starts the appliance; cleans up itself when that fails. */
  static async create(label: string, options: ApplianceNamespaceOptions = {}): Promise<ApplianceNamespace> {
    const namespace = await TestNamespace.create(label);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `minicache-${label}-`));
    try {
      await namespace.addBridge();
      await options.prepare?.(namespace);
      const image = decompressFixture('mixed.img', dir);
      const args = ['-i', `${APPLIANCE_IP}/24`, '-b', image, '--tap', TAP_NAME, '--mac', APPLIANCE_MAC, '--ctl', path.join(dir, 'ctl.sock'), ...(options.args ?? [])];
      const appliance = await startAppliance(namespace, args);
      return new ApplianceNamespace(namespace, dir, appliance);
    } catch (error) {
      await namespace.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Runs `curl` for `url` into `output` (a file in the folder) and returns the status and the bytes received. */
  async curl(url: string, output: string, extraArgs: readonly string[] = [], timeoutS = 30): Promise<{ code: number; status: number; stderr: string }> {
    const file = path.join(this.dir, output);
    const result = await this.namespace.exec('curl', ['-sS', '--max-time', String(timeoutS), '-o', file, '-w', '%{http_code}', ...extraArgs, url], { timeoutMs: (timeoutS + 10) * 1000 });
    return { code: result.code, status: Number(result.stdout.trim()), stderr: result.stderr };
  }

  async destroy(): Promise<void> {
    await this.appliance.stop().catch(() => undefined);
    await this.namespace.destroy();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
