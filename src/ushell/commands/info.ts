// info: the appliance's identity and its volume.
import { formatIpv4 } from '../../net/ipv4-address';
import type { ShellCommand } from '../command-registry';
import { formatDuration, printable } from '../format';

export const infoCommand: ShellCommand = {
  name: 'info',
  summary: 'Show the version, network identity and mounted volume',
  usage: 'info',
  run(_args, session) {
    const { context } = session;
    const network = context.network();
    const volume = context.volume();
    const address = network.ipv4 === undefined ? 'no address yet' : `${formatIpv4(network.ipv4.address)}/${network.ipv4.prefixLength}`;
    const up = formatDuration((context.now().getTime() - context.startedAt.getTime()) / 1000);

    session.print(`MiniCache for Linux ${context.version}, µShell`);
    session.print(` Interface: ${network.name}, ${network.mac}, ${address}${network.dhcp ? ' (DHCP)' : ''}`);
    session.print(` Services:  HTTP on port ${context.httpPort}, telnet shell on port ${context.shellPort}`);
    session.print(` Volume:    ${volume === undefined ? 'none mounted' : `${printable(volume.name)} (${volume.uuid}), ${volume.entries().length} objects`}`);
    session.print(` Up:        ${up}`);
  },
};
