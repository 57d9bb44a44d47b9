// ifconfig: the appliance's network interface.
import { formatIpv4, prefixToMask } from '../../net/ipv4-address';
import type { ShellCommand } from '../command-registry';

/** Column where the details of an interface start, as in the original. */
const DETAIL_INDENT = ' '.repeat(10);

export const ifconfigCommand: ShellCommand = {
  name: 'ifconfig',
  summary: 'Show the network interface, its addresses and counters (* marks the default)',
  usage: 'ifconfig',
  run(_args, session) {
    const network = session.context.network();
    const flags = [network.up ? 'UP' : 'DOWN', 'BROADCAST', 'ARP', 'ETHERNET', ...(network.dhcp ? ['DHCP'] : [])];
    session.print(`${`${network.name} *`.padEnd(DETAIL_INDENT.length - 1)} HWaddr ${network.mac}`);
    session.print(`${DETAIL_INDENT}${flags.join(' ')} MTU:${network.mtu}`);

    if (network.ipv4 === undefined) {
      session.print(`${DETAIL_INDENT}inet addr: none${network.dhcp ? ' (waiting for a DHCP lease)' : ''}`);
    } else {
      const gateway = network.gateway === undefined ? 'none' : formatIpv4(network.gateway);
      session.print(`${DETAIL_INDENT}inet addr:${formatIpv4(network.ipv4.address)} Mask:${formatIpv4(prefixToMask(network.ipv4.prefixLength))} Gw:${gateway}`);
    }
    const dns = network.dnsServers.length === 0 ? 'none' : network.dnsServers.map(formatIpv4).join(' ');
    session.print(`${DETAIL_INDENT}DNS:${dns}`);

    const { counters, tcp } = network;
    session.print(`${DETAIL_INDENT}RX frames:${counters.rxFrames} bytes:${counters.rxBytes} dropped:${counters.rxDropped}`);
    session.print(`${DETAIL_INDENT}TX frames:${counters.txFrames} bytes:${counters.txBytes} dropped:${counters.txDropped}`);
    session.print(
      `${DETAIL_INDENT}TCP connections:${tcp.activeConnections} segments in:${tcp.segmentsReceived} out:${tcp.segmentsSent} retransmitted:${tcp.retransmissions} resets sent:${tcp.resetsSent}`,
    );
  },
};
