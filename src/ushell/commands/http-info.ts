// http-info: the HTTP server's counters and its connections.
import { EXIT_FAILURE, type ShellCommand } from '../command-registry';
import { formatDuration } from '../format';

export const httpInfoCommand: ShellCommand = {
  name: 'http-info',
  summary: 'Show the HTTP server counters and connections',
  usage: 'http-info',
  run(_args, session) {
    const { context } = session;
    const statistics = context.httpStatistics();
    if (statistics === undefined) {
      session.print('HTTP server is not online');
      return EXIT_FAILURE;
    }
    const { connections, responses } = statistics;
    const field = (label: string, value: string): string => ` ${label.padEnd(26)} ${value}`;
    session.print(field('Listen port:', String(context.httpPort)));
    session.print(field('Connections:', `${connections.current}/${connections.max} (${connections.total} since start, ${connections.rejected} rejected)`));
    session.print(field('Requests:', String(statistics.requests)));
    session.print(field('Responses:', `1xx ${responses['1xx']}, 2xx ${responses['2xx']}, 3xx ${responses['3xx']}, 4xx ${responses['4xx']}, 5xx ${responses['5xx']}`));
    session.print(field('Body bytes sent:', String(statistics.bodyBytesSent)));
    session.print(field('Unknown names requested:', String(statistics.invalidRequests)));
    session.print(field('Origin failures:', String(statistics.originFailures)));

    const open = context.httpConnections();
    if (open.length === 0) return;
    session.print();
    session.print(`  ${'ID'.padStart(6)}  ${'Remote'.padEnd(21)}  ${'State'.padEnd(10)}  ${'Up'.padStart(9)}  ${'Requests'.padStart(8)}  ${'Body bytes'.padStart(12)}  Object`);
    const now = context.now().getTime();
    for (const connection of open) {
      const remote = `${connection.remoteAddress}:${connection.remotePort}`;
      const up = formatDuration((now - connection.openedAt.getTime()) / 1000);
      session.print(
        `  ${String(connection.id).padStart(6)}  ${remote.padEnd(21)}  ${connection.state.padEnd(10)}  ${up.padStart(9)}  ${String(connection.requests).padStart(8)}  ${String(connection.bodyBytesSent).padStart(12)}  ${connection.object?.name ?? '-'}`,
      );
    }
  },
};
