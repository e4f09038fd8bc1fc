import { copyCommand } from './copy-command.ts';
import { ExitCode, exitCodeFor } from './exit-codes.ts';
import { describeError } from './format.ts';
import type { CliIo } from './io.ts';
import { UsageError } from './providers.ts';
import {
  CANCEL_USAGE,
  DELETE_USAGE,
  PRUNE_USAGE,
  COPY_USAGE,
  CREATE_USAGE,
  LIST_USAGE,
  RESTORE_STATUS_USAGE,
  RESTORE_USAGE,
  STATUS_USAGE,
  USAGE,
  VERIFY_USAGE,
} from './usage.ts';
import {
  cancelCommand,
  createCommand,
  deleteCommand,
  pruneCommand,
  listCommand,
  remoteCopyCommand,
  remoteVerifyCommand,
  restoreCommand,
  restoreStatusCommand,
  statusCommand,
  usesServer,
} from './server-commands.ts';
import { verifyCommand } from './verify-command.ts';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** copy and verify run here on the storage, or on the server with `--url` / `BACKUP_URL`. */
const either =
  (local: Command, remote: Command): Command =>
  (argv, io) =>
    usesServer(argv, io.env) ? remote(argv, io) : local(argv, io);

const COMMANDS: Record<string, { readonly run: Command; readonly usage: string; readonly remote?: boolean }> = {
  create: { run: createCommand, usage: CREATE_USAGE, remote: true },
  status: { run: statusCommand, usage: STATUS_USAGE, remote: true },
  list: { run: listCommand, usage: LIST_USAGE, remote: true },
  restore: { run: restoreCommand, usage: RESTORE_USAGE, remote: true },
  'restore-status': { run: restoreStatusCommand, usage: RESTORE_STATUS_USAGE, remote: true },
  cancel: { run: cancelCommand, usage: CANCEL_USAGE, remote: true },
  delete: { run: deleteCommand, usage: DELETE_USAGE, remote: true },
  prune: { run: pruneCommand, usage: PRUNE_USAGE, remote: true },
  copy: { run: either(copyCommand, remoteCopyCommand), usage: COPY_USAGE },
  verify: { run: either(verifyCommand, remoteVerifyCommand), usage: VERIFY_USAGE },
};

/**
 * Runs `backup <command> ...` and resolves its exit code (see `ExitCode`).
 * Results go to `io.out`, progress and errors to `io.err` as one line each,
 * never a stack trace.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.err : io.out)(USAGE);
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`backup: unknown command "${name}"`);
    io.err(USAGE);
    return ExitCode.USAGE;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(command.usage);
    return ExitCode.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || isParseArgsError(error)) {
      io.err(`backup ${name}: ${(error as Error).message}`);
      io.err(`Run \`backup ${name} --help\` for its options.`);
      return ExitCode.USAGE;
    }
    const code = exitCodeFor(error);
    io.err(`backup ${name}: ${describeError(error)}`);
    if (code === ExitCode.INTERRUPTED && (command.remote || usesServer(rest, io.env))) {
      io.err(`backup ${name}: stopped waiting; the operation goes on on the server (\`backup cancel\` stops it).`);
    } else if (code === ExitCode.INTERRUPTED && name === 'copy') {
      io.err('backup copy: interrupted; nothing at the destination looks like a backup. Run the same command again to resume.');
    }
    return code;
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
