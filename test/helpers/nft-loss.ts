// Random loss on one port of the test namespace's bridge with nftables. The
// rule `numgen random mod 100 < PERCENT drop` sits in the bridge family's
// output chain (frames the bridge sends out of the port) and in its input
// chain (frames from the port on their way to the namespace's own address).
// Both directions lose PERCENT of their frames. The table lives in the
// namespace and goes away with it.
import type { TestNamespace } from './netns';

const TABLE = 'minicache_loss';

export interface LossCounters {
  /** Frames dropped on their way into the port (to the appliance). */
  toPort: number;
  /** Frames dropped on their way out of it (from the appliance). */
  fromPort: number;
}

/** Drops `percent` of the frames in each direction of bridge port `port`. */
export async function addRandomLoss(namespace: TestNamespace, port: string, percent: number): Promise<void> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`loss of ${percent}%: expected an integer from 0 to 100`);
  const ruleset = [
    `table bridge ${TABLE} {`,
    `  chain to_port { type filter hook output priority 0; oifname "${port}" numgen random mod 100 < ${percent} counter drop; }`,
    `  chain from_port { type filter hook input priority 0; iifname "${port}" numgen random mod 100 < ${percent} counter drop; }`,
    '}',
  ].join('\n');
  const result = await namespace.exec('nft', ['-f', '-'], { input: ruleset });
  if (result.code !== 0) throw new Error(`nft -f failed (${result.code}): ${result.stderr.trim()}`);
}

/** Frames the loss rules dropped so far. */
export async function lossCounters(namespace: TestNamespace): Promise<LossCounters> {
  const result = await namespace.check('nft', ['list', 'table', 'bridge', TABLE]);
  const counts = [...result.stdout.matchAll(/counter packets (\d+)/g)].map((match) => Number(match[1]));
  return { toPort: counts[0] ?? 0, fromPort: counts[1] ?? 0 };
}
