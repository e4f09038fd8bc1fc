import { parseArgs } from 'node:util';
import { copyBackup, verifyBackup, type CopyProgress } from '@backup/core';
import { ExitCode } from './exit-codes.ts';
import { formatBytes, formatDuration, throttled } from './format.ts';
import type { CliIo } from './io.ts';
import { location, parseConcurrency, UsageError, withProviders } from './providers.ts';
import { printProblems } from './verify-command.ts';

/** `backup copy <id> --from <backend> --to <backend> ...`; resolves the exit code. */
export async function copyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      from: { type: 'string' },
      'from-bucket': { type: 'string' },
      'from-path': { type: 'string' },
      to: { type: 'string' },
      'to-bucket': { type: 'string' },
      'to-path': { type: 'string' },
      concurrency: { type: 'string' },
      'verify-existing': { type: 'boolean' },
      'server-side': { type: 'boolean' },
      verify: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [id, ...extra] = positionals;
  if (id === undefined) throw new UsageError('which backup? give its id: backup copy <id> --from <backend> --to <backend>');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.from) throw new UsageError('--from <backend> is required: where the backup is');
  if (!values.to) throw new UsageError('--to <backend> is required: where to copy it');
  const concurrency = parseConcurrency(values.concurrency);
  const quiet = values.quiet === true;

  return await withProviders(io, async (provider) => {
    const from = { provider: provider(values.from!), location: location(values['from-bucket'], values['from-path']) };
    const to = { provider: provider(values.to!), location: location(values['to-bucket'], values['to-path']) };
    const progress = throttled((p: CopyProgress) =>
      io.err(
        `copying ${id}: ${p.objectsDone}/${p.objects} objects, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytes)}` +
          (p.objectsSkipped > 0 ? ` (${p.objectsSkipped} already there)` : ''),
      ),
    );
    const result = await copyBackup({
      id,
      from,
      to,
      signal: io.signal,
      concurrency,
      verifyExisting: values['verify-existing'] === true,
      serverSideCopy: values['server-side'] === true,
      onProgress: quiet ? undefined : progress,
    });
    const report = values.verify ? await verifyBackup({ id, ...to, signal: io.signal, concurrency }) : undefined;
    if (values.json) {
      io.out(JSON.stringify(report ? { ...result, verification: report } : result, null, 2));
    } else {
      io.out(
        `copied backup ${id} from ${result.from} to ${result.to}: ${result.copied} chunks, ${formatBytes(result.bytesCopied)}` +
          (result.copiedServerSide > 0 ? ` (${result.copiedServerSide} copied by the backend itself)` : '') +
          (result.skipped > 0 ? ` (${result.skipped} chunks were already there)` : '') +
          ` in ${formatDuration(result.durationMs)}`,
      );
      if (report) {
        if (report.ok) io.out(`verified at ${report.path}: OK, ${report.chunks} chunks, ${formatBytes(report.bytesChecked)}`);
        else printProblems(io, report);
      }
    }
    return report && !report.ok ? ExitCode.DAMAGED : ExitCode.OK;
  });
}
