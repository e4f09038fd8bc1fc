/**
 * `@backup/cli`: the `backup` command. `backup copy` moves a finished backup
 * between storage providers (resumable, every chunk verified on the way);
 * `backup verify` checks a backup in place. Configured like the server, by
 * `ENABLE_MODULES` and the `BACKUP_*` variables.
 *
 * @packageDocumentation
 */
export { main } from './cli.ts';
export type { CliIo } from './io.ts';
export { ExitCode, exitCodeFor } from './exit-codes.ts';
export { USAGE, COPY_USAGE, VERIFY_USAGE } from './usage.ts';
