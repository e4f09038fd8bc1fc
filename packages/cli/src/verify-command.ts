import { parseArgs } from 'node:util';
import { verifyBackup, type VerifyProgress, type VerifyReport } from '@backup/core';
import { ExitCode } from './exit-codes.ts';
import { formatBytes, formatDuration, throttled } from './format.ts';
import type { CliIo } from './io.ts';
import { location, parseConcurrency, UsageError, withProviders } from './providers.ts';

/** `backup verify <id> --backend <backend> ...`; resolves the exit code (3 when the backup has problems). */
export async function verifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      backend: { type: 'string' },
      bucket: { type: 'string' },
      path: { type: 'string' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [id, ...extra] = positionals;
  if (id === undefined) throw new UsageError('which backup? give its id: backup verify <id> --backend <backend>');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.backend) throw new UsageError('--backend <backend> is required: where the backup is');
  const concurrency = parseConcurrency(values.concurrency);

  return await withProviders(io, async (provider) => {
    const progress = throttled((p: VerifyProgress) =>
      io.err(`verifying ${id}: ${p.chunksChecked}/${p.chunks} chunks, ${formatBytes(p.bytesChecked)} of ${formatBytes(p.bytes)}`),
    );
    const report = await verifyBackup({
      id,
      provider: provider(values.backend!),
      location: location(values.bucket, values.path),
      signal: io.signal,
      concurrency,
      onProgress: values.quiet ? undefined : progress,
    });
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else if (report.ok) {
      io.out(
        `backup ${id} at ${report.path}: OK, ${report.chunks} chunks, ${formatBytes(report.bytesChecked)} verified in ${formatDuration(report.durationMs)}`,
      );
    } else printProblems(io, report);
    return report.ok ? ExitCode.OK : ExitCode.DAMAGED;
  });
}

/** One line per problem, after a summary line. */
export function printProblems(io: CliIo, report: VerifyReport): void {
  const count = report.problems.length;
  io.out(`backup ${report.id} at ${report.path}: ${count} problem${count === 1 ? '' : 's'}`);
  for (const problem of report.problems) io.out(`  ${problem.kind} ${problem.key}: ${problem.message}`);
}
