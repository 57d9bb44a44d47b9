// The bridge the TAP joins. The appliance only creates one for --demo
// (so that `npm start` works on a machine without libvirt), and then
// removes it again when it stops.
import { native } from '../native';
import { formatIpv4, parseIpv4Cidr, prefixToMask } from '../net/ipv4-address';

export class BridgeError extends Error {
  override readonly name = 'BridgeError';
}

export interface BridgeHandle {
  name: string;
  /** True when this process created the bridge and must delete it. */
  created: boolean;
}

export function bridgeExists(name: string): boolean {
  return native.interfaceIndex(name) !== 0;
}

/** Checks that the bridge exists; throws a BridgeError whose message explains how to create it. */
export function requireBridge(name: string): BridgeHandle {
  if (!bridgeExists(name)) {
    throw new BridgeError(
      `bridge ${name} does not exist: create it (ip link add ${name} type bridge && ip link set ${name} up), name another with --bridge, or use --no-bridge`,
    );
  }
  return { name, created: false };
}

/** Returns the bridge, creating it with `cidr` as its address and bringing it up when it is missing. */
export function ensureBridge(name: string, cidr: string): BridgeHandle {
  if (bridgeExists(name)) return { name, created: false };
  const parsed = parseIpv4Cidr(cidr);
  if (parsed === undefined) throw new BridgeError(`invalid bridge address ${cidr}`);
  try {
    native.createBridge(name);
    native.setInterfaceAddress(name, formatIpv4(parsed.address), formatIpv4(prefixToMask(parsed.prefixLength)));
    native.setInterfaceUp(name, true);
  } catch (error) {
    if (bridgeExists(name)) native.deleteBridge(name);
    throw new BridgeError(`cannot create bridge ${name}: ${(error as Error).message}`);
  }
  return { name, created: true };
}

/** Deletes a bridge this process created; leaves others alone. */
export function releaseBridge(bridge: BridgeHandle): void {
  if (!bridge.created || !bridgeExists(bridge.name)) return;
  native.setInterfaceUp(bridge.name, false);
  native.deleteBridge(bridge.name);
}
