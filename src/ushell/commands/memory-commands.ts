// free and mallinfo: the memory of the appliance process. The original
// reported the unikernel's pages and heap; here the same commands report the
// host's memory, the process's resident set and the V8 heap.
import type { ShellCommand } from '../command-registry';
import { printUsage } from './command-helpers';

const UNIT_DIVISORS: Record<string, number> = { '-k': 1024, '-m': 1024 * 1024, '-g': 1024 * 1024 * 1024 };
const COLUMN_WIDTH = 12;

export const freeCommand: ShellCommand = {
  name: 'free',
  summary: 'Show memory use in bytes (-k KiB, -m MiB, -g GiB, -p pages, -u page size)',
  usage: 'free [-k|-m|-g|-p|-u]',
  run(args, session) {
    if (args.length > 1 || (args.length === 1 && !['-k', '-m', '-g', '-p', '-u'].includes(args[0]))) return printUsage(session, this.usage);
    const memory = session.context.memory();
    if (args[0] === '-u') {
      session.print(`Page size: ${String(memory.pageSize / 1024).padStart(5)} KiB`);
      return;
    }

    const divisor = args[0] === '-p' ? memory.pageSize : (UNIT_DIVISORS[args[0]] ?? 1);
    const columns: Array<[string, number]> = [
      ['total', memory.systemTotal],
      ['used', memory.systemTotal - memory.systemFree],
      ['free', memory.systemFree],
      ['rss', memory.usage.rss],
      ['heap total', memory.usage.heapTotal],
      ['heap used', memory.usage.heapUsed],
      ['external', memory.usage.external],
    ];
    const label = args[0] === '-p' ? 'Pages: ' : 'Mem:   ';
    session.print(`       ${columns.map(([name]) => name.padStart(COLUMN_WIDTH)).join(' ')}`);
    session.print(`${label}${columns.map(([, value]) => String(Math.floor(value / divisor)).padStart(COLUMN_WIDTH)).join(' ')}`);
  },
};

export const mallinfoCommand: ShellCommand = {
  name: 'mallinfo',
  summary: 'Show the JavaScript heap and allocator statistics of the process',
  usage: 'mallinfo',
  run(_args, session) {
    const { heap, usage, resources } = session.context.memory();
    const fields: Array<[string, string]> = [
      ['Total heap size:', `${heap.total_heap_size} B`],
      ['Used heap size:', `${heap.used_heap_size} B`],
      ['Available heap size:', `${heap.total_available_size} B`],
      ['Heap size limit:', `${heap.heap_size_limit} B`],
      ['Physical heap size:', `${heap.total_physical_size} B`],
      ['Malloced memory:', `${heap.malloced_memory} B`],
      ['Peak malloced memory:', `${heap.peak_malloced_memory} B`],
      ['External memory:', `${usage.external} B`],
      ['Array buffers:', `${usage.arrayBuffers} B`],
      ['Maximum resident set:', `${resources.maxRSS * 1024} B`],
      ['Native contexts:', `${heap.number_of_native_contexts}`],
    ];
    for (const [name, value] of fields) session.print(` ${name.padEnd(28)} ${value.padStart(16)}`);
  },
};
