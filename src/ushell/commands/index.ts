// The built-in commands of µShell.
import type { CommandRegistry, ShellCommand } from '../command-registry';
import { cacheInfoCommand, flushCommand, prefetchAllCommand, prefetchCommand } from './cache-commands';
import { dateCommand, uptimeCommand } from './clock-commands';
import { repeatCommand, timeCommand, xargsCommand } from './composition-commands';
import { helpCommand } from './help';
import { httpInfoCommand } from './http-info';
import { infoCommand } from './info';
import { lsCommand, lsofCommand } from './listing-commands';
import { freeCommand, mallinfoCommand } from './memory-commands';
import { ifconfigCommand, netstatCommand } from './network-commands';
import { catCommand, dfCommand, fileCommand } from './object-commands';
import { haltCommand, rebootCommand, suspendCommand } from './power-commands';
import { clearCommand, echoCommand, exitCommand, whoCommand } from './session-commands';
import { exportStatsCommand, statsCommand } from './statistics-commands';
import { lsvbdCommand, mountCommand, remountCommand, shfsInfoCommand, umountCommand } from './volume-commands';

export const BUILTIN_COMMANDS: readonly ShellCommand[] = [
  catCommand,
  cacheInfoCommand,
  clearCommand,
  dateCommand,
  dfCommand,
  echoCommand,
  exitCommand,
  exportStatsCommand,
  fileCommand,
  flushCommand,
  freeCommand,
  haltCommand,
  helpCommand,
  httpInfoCommand,
  ifconfigCommand,
  infoCommand,
  lsCommand,
  lsofCommand,
  lsvbdCommand,
  mallinfoCommand,
  mountCommand,
  netstatCommand,
  prefetchCommand,
  prefetchAllCommand,
  rebootCommand,
  remountCommand,
  repeatCommand,
  shfsInfoCommand,
  statsCommand,
  suspendCommand,
  timeCommand,
  umountCommand,
  uptimeCommand,
  whoCommand,
  xargsCommand,
];

export function registerBuiltinCommands(registry: CommandRegistry): void {
  for (const command of BUILTIN_COMMANDS) registry.registerCommand(command);
}
