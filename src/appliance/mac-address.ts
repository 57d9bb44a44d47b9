// MAC addresses the appliance chooses for itself.
import { randomBytes } from 'node:crypto';
import { readMac, type MacAddress } from '../net/wire/ethernet';

/**
 * A random locally administered unicast address (IEEE 802: U/L bit set,
 * I/G bit clear), as virtual machine managers assign when none is given.
 */
export function randomLocalMac(): MacAddress {
  const bytes = randomBytes(6);
  bytes[0] = (bytes[0] & 0xfc) | 0x02;
  return readMac(bytes, 0);
}
