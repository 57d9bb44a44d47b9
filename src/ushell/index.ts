// µShell's public surface, for the appliance.
export { UShellService, MAX_TELNET_SESSIONS, type LocalSessionOptions, type ShellSocket, type UShellServiceOptions } from './shell-service';
export { CommandRegistry, EXIT_FAILURE, EXIT_SUCCESS, type ShellCommand } from './command-registry';
export type { CommandSession, SessionKind, ShellSessionInfo } from './command-session';
export type * from './context';
export { PROMPT } from './shell-session';
