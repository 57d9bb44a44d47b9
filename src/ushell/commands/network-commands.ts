// ifconfig and netstat: the appliance's network interface and the stack's counters.
import { formatIpv4, prefixToMask } from '../../net/ipv4-address';
import { EXIT_FAILURE, type ShellCommand } from '../command-registry';
import { printable } from '../format';

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

/** Reasons listed per section of netstat; the rest are summed as "other". */
const NETSTAT_MAX_REASONS = 12;

/**
 * netstat: every counter of the stack, with dropped frames and segments by
 * reason and TCP connections by state (not in the original, which showed
 * lwIP's statistics only in debug builds).
 */
export const netstatCommand: ShellCommand = {
  name: 'netstat',
  summary: 'Show the network counters: drops by reason, TCP connections by state',
  usage: 'netstat',
  run(_args, session) {
    const counters = session.context.networkCounters();
    if (counters === undefined) {
      session.print('The network is not running.');
      return EXIT_FAILURE;
    }
    const { interface: frames, ipv4, reassembly, arp, icmp, udp, tcp } = counters;
    session.print(`Frames:  in ${frames.framesIn} (${frames.bytesIn} bytes), out ${frames.framesOut} (${frames.bytesOut} bytes), not sent ${frames.sendFailures}`);
    session.print(`Dropped: ${counters.dropsTotal}`);
    printReasons(session, counters.drops);
    session.print(`IPv4:    datagrams in ${ipv4.datagramsIn}, out ${ipv4.datagramsOut}; fragments in ${ipv4.fragmentsIn}, out ${ipv4.fragmentsOut}; reassembled ${ipv4.reassembled}`);
    session.print(`         in reassembly ${reassembly.datagrams} (${reassembly.bytes} bytes), timed out ${reassembly.timeouts}, evicted ${reassembly.evictions}`);
    session.print(`ARP:     ${arp.entries} entries, ${arp.pendingAddresses} resolving (${arp.pendingFrames} datagrams waiting), ${arp.unresolvedDrops} dropped unresolved`);
    session.print(
      `ICMP:    echo requests ${icmp.echoRequests}, replies ${icmp.echoReplies}; errors sent ${icmp.errorsSent} (${icmp.errorsRateLimited} rate-limited), received ${icmp.errorsReceived}`,
    );
    session.print(`UDP:     datagrams in ${udp.datagramsIn}, out ${udp.datagramsOut}, to closed ports ${udp.noPort}`);
    session.print(
      `TCP:     segments in ${tcp.segmentsReceived}, out ${tcp.segmentsSent}, retransmitted ${tcp.retransmittedSegments}; resets sent ${tcp.resetsSent}, received ${tcp.resetsReceived}`,
    );
    session.print(
      `         opens active ${tcp.activeOpens}, passive ${tcp.passiveOpens}; timeouts ${tcp.timeouts}; SYN cookies sent ${tcp.synCookiesSent}, accepted ${tcp.synCookiesAccepted}; challenge ACKs ${tcp.challengeAcksSent}`,
    );
    const states = Object.entries(tcp.connectionsByState).filter(([, count]) => count > 0);
    session.print(`         connections: ${states.length === 0 ? 'none' : states.map(([state, count]) => `${state} ${count}`).join(', ')}`);
    session.print(`         out-of-order data held: ${counters.tcpOutOfOrderBytes} bytes; TIME-WAIT overflows ${tcp.timeWaitOverflows}`);
    const tcpDrops = Object.entries(tcp.dropped).filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
    session.print(`         dropped: ${tcpDrops.reduce((sum, [, count]) => sum + count, 0)}`);
    printReasons(session, tcpDrops);
    return undefined;
  },
};

function printReasons(session: { print(line?: string): void }, reasons: ReadonlyArray<[string, number]>): void {
  const shown = reasons.slice(0, NETSTAT_MAX_REASONS);
  const width = Math.max(0, ...shown.map(([, count]) => String(count).length));
  for (const [reason, count] of shown) session.print(`  ${String(count).padStart(width)}  ${printable(reason)}`);
  const rest = reasons.slice(NETSTAT_MAX_REASONS).reduce((sum, [, count]) => sum + count, 0);
  if (rest > 0) session.print(`  ${String(rest).padStart(width)}  other`);
}
