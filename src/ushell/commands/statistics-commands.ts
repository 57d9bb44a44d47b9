// stats and export-stats: per-object access statistics.
import { EXIT_FAILURE, type ShellCommand } from '../command-registry';
import { formatDigestColumn, formatListingDate } from '../format';
import { requireVolume } from './command-helpers';

export const statsCommand: ShellCommand = {
  name: 'stats',
  summary: 'List the access statistics of the objects requested so far',
  usage: 'stats',
  run(_args, session) {
    const volume = requireVolume(session);
    if (volume === undefined) return EXIT_FAILURE;
    const statistics = session.context.httpStatistics();
    if (statistics === undefined) {
      session.print('The HTTP server is not running');
      return EXIT_FAILURE;
    }

    // Columns of the original: digest, "IN" when the object is on the volume,
    // hits, [ completed | progress 0% 50% 100% ], misses, last access.
    for (const record of statistics.objects) {
      if (record.lastAccess === undefined) continue;
      const flags = record.available ? 'IN' : '  ';
      const progress = record.progress.map((count) => String(count).padStart(6)).join(' ');
      session.print(
        `${formatDigestColumn(record.digestHex, volume.hashLength)} ${flags} ${String(record.hits).padStart(6)} [ ${String(record.completed).padStart(6)} | ${progress} ] ${String(record.misses).padStart(6)} ${formatListingDate(record.lastAccess)}`,
      );
    }
    if (statistics.invalidRequests > 0) session.print(`Invalid element requests: ${String(statistics.invalidRequests).padStart(8)}`);
  },
};

export const exportStatsCommand: ShellCommand = {
  name: 'export-stats',
  summary: 'Write the access statistics to the statistics device (-x)',
  usage: 'export-stats',
  async run(_args, session) {
    if (requireVolume(session) === undefined) return EXIT_FAILURE;
    try {
      const result = await session.context.exportStatistics();
      session.print(`Exported ${result.bytes} bytes of statistics to ${result.device}`);
    } catch (error) {
      session.print(`Could not export statistics: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT_FAILURE;
    }
  },
};
