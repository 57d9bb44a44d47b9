// flush, prefetch, prefetch-all and cache-info: the chunk cache.
import { EXIT_FAILURE, type ShellCommand } from '../command-registry';
import { printUsage, requireObject, requireVolume } from './command-helpers';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const flushCommand: ShellCommand = {
  name: 'flush',
  summary: 'Drop every chunk from the cache (data being sent stays valid)',
  usage: 'flush',
  run(_args, session) {
    if (requireVolume(session) === undefined) return EXIT_FAILURE;
    session.context.flushCache();
  },
};

export const prefetchCommand: ShellCommand = {
  name: 'prefetch',
  summary: 'Load an object into the cache',
  usage: 'prefetch OBJECT',
  async run(args, session) {
    if (args.length !== 1) return printUsage(session, this.usage);
    const volume = requireVolume(session);
    if (volume === undefined) return EXIT_FAILURE;
    const entry = requireObject(session, volume, args[0]);
    if (entry === undefined) return EXIT_FAILURE;
    try {
      await session.context.prefetch(entry);
    } catch (error) {
      session.print(`${args[0]}: read error: ${messageOf(error)}`);
      return EXIT_FAILURE;
    }
  },
};

export const prefetchAllCommand: ShellCommand = {
  name: 'prefetch-all',
  summary: 'Load every object into the cache, as far as it holds them',
  usage: 'prefetch-all',
  async run(_args, session) {
    if (requireVolume(session) === undefined) return EXIT_FAILURE;
    try {
      await session.context.prefetchAll();
    } catch (error) {
      session.print(`Could not prefetch: ${messageOf(error)}`);
      return EXIT_FAILURE;
    }
  },
};

export const cacheInfoCommand: ShellCommand = {
  name: 'cache-info',
  summary: 'Show the state and counters of the chunk cache',
  usage: 'cache-info',
  run(_args, session) {
    const volume = requireVolume(session);
    if (volume === undefined) return EXIT_FAILURE;
    const stats = volume.cacheStats();
    const chunkKiB = volume.chunkSize / 1024;
    const field = (label: string, value: number | string): string => ` ${label.padEnd(34)} ${String(value).padStart(12)}`;
    session.print(`${field('Number of buffers in cache:', stats.chunks)} (total: ${stats.chunks * chunkKiB} KiB)`);
    session.print(`${field('Capacity:', stats.capacityChunks)} (total: ${stats.capacityChunks * chunkKiB} KiB)`);
    session.print(' Access statistics:');
    session.print(field(' Hits:', stats.hits));
    session.print(field(' Misses:', stats.misses));
    session.print(field(' Device reads:', stats.reads));
    session.print(field(' Failed reads:', stats.readErrors));
  },
};
