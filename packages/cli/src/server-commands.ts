import { parseArgs, type ParseArgsConfig } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, exitCodeForStatus } from './exit-codes.ts';
import { formatBytes, formatDuration } from './format.ts';
import type { CliIo } from './io.ts';
import { ProgressDisplay, type ProgressSample } from './progress-bar.ts';
import { UsageError } from './providers.ts';
import { RestClient } from './rest-client.ts';
import { compactLocation, planRetention } from '@backup/core';

const FINAL = new Set(['SUCCESS', 'FAILED', 'CANCELED']);
const GIB = 1024 ** 3;

/** Options every command that talks to a server takes. */
const CONNECTION = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  backend: { type: 'string' },
  bucket: { type: 'string' },
  path: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  interval: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type Json = Record<string, unknown>;

interface Context {
  readonly client: RestClient;
  readonly backend: string;
  readonly id: string;
  /** `?bucket=..&path=..` for status, cancel and list; '' without overrides. */
  readonly query: string;
  readonly bucket: string | undefined;
  readonly path: string | undefined;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly intervalMs: number;
}

/** True when a command should go to a server: `--url` given or `BACKUP_URL` set. */
export function usesServer(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.some((arg) => arg === '--url' || arg.startsWith('--url=')) || Boolean(env.BACKUP_URL);
}

function parse<const O extends ParseArgsConfig['options']>(argv: readonly string[], options: O, io: CliIo, needsId = true) {
  const { values, positionals } = parseArgs({ args: [...argv], options: { ...CONNECTION, ...options }, strict: true, allowPositionals: true });
  const v = values as Record<string, string | boolean | undefined>;
  const [id, ...extra] = positionals;
  if (needsId && id === undefined) throw new UsageError('which backup? give its id');
  if (extra.length > 0 || (!needsId && id !== undefined)) throw new UsageError(`unexpected argument "${extra[0] ?? id}"`);
  const backend = (v.backend as string | undefined) ?? io.env.BACKUP_BACKEND;
  if (!backend) throw new UsageError('--backend <backend> is required (or BACKUP_BACKEND): filesystem, s3, gcs or azure');
  const url = (v.url as string | undefined) ?? io.env.BACKUP_URL ?? 'http://localhost:8080';
  const apiKey = (v['api-key'] as string | undefined) ?? io.env.BACKUP_API_KEY;
  const interval = v.interval === undefined ? 500 : Number(v.interval);
  if (!Number.isInteger(interval) || interval < 10 || interval > 60_000) throw new UsageError('--interval must be a number of ms between 10 and 60000');
  const bucket = v.bucket as string | undefined;
  const path = v.path as string | undefined;
  const params = new URLSearchParams(compactLocation({ bucket, path }) as Record<string, string>).toString();
  const context: Context = {
    client: new RestClient({ url, apiKey, signal: io.signal }),
    backend,
    id: id ?? '',
    query: params === '' ? '' : `?${params}`,
    bucket,
    path,
    json: v.json === true,
    quiet: v.quiet === true,
    intervalMs: interval,
  };
  return { context, values: v };
}

function list(value: string | boolean | undefined): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function integer(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(number)) throw new UsageError(`${flag} must be an integer`);
  return number;
}

const enc = encodeURIComponent;

/** A status body's progress as the bar wants it (the server's extra `progress` field; null-safe for older servers). */
function sampleOf(body: Json): ProgressSample {
  const progress = (body.progress ?? {}) as Json;
  const bytesDone = typeof progress.bytesDone === 'number' ? progress.bytesDone : Math.round(Number(body.size ?? 0) * GIB);
  return {
    status: String(body.status),
    bytesDone,
    bytesTotal: typeof progress.bytesTotal === 'number' ? progress.bytesTotal : null,
    bytesPerSecond: typeof progress.bytesPerSecond === 'number' ? progress.bytesPerSecond : 0,
    etaSeconds: typeof progress.etaSeconds === 'number' ? progress.etaSeconds : null,
  };
}

/** A copy's or verification's progress (`bytes`/`bytesDone` or `bytes`/`bytesChecked`), rate from its start. */
function transferSample(body: Json): ProgressSample {
  const progress = (body.progress ?? {}) as Json;
  const done = Number(progress.bytesDone ?? progress.bytesChecked ?? 0);
  const total = typeof progress.bytes === 'number' && progress.bytes > 0 ? progress.bytes : null;
  const started = Date.parse(String(body.startedAt ?? ''));
  const seconds = Number.isNaN(started) ? 0 : Math.max(0.001, (Date.now() - started) / 1000);
  const rate = seconds > 0 ? Math.round(done / seconds) : 0;
  return {
    status: String(body.status),
    bytesDone: done,
    bytesTotal: total,
    bytesPerSecond: rate,
    etaSeconds: total === null ? null : rate > 0 ? Math.ceil(Math.max(0, total - done) / rate) : null,
  };
}

/**
 * Polls `path` until the status is final: a bar on a terminal (stderr),
 * plain lines otherwise, one JSON line per poll on stdout with `--json`.
 * Resolves the final body. Ctrl-C stops waiting (the operation goes on).
 */
async function follow(context: Context, io: CliIo, label: string, path: string, toSample: (body: Json) => ProgressSample): Promise<Json> {
  const display = new ProgressDisplay({ write: io.write ?? ((text) => io.err(text.replace(/\n$/, ''))), tty: io.tty === true });
  try {
    for (;;) {
      const body = (await context.client.call('GET', path)) as Json;
      if (context.json) io.out(JSON.stringify(body));
      else if (!context.quiet) display.update(label, toSample(body));
      if (FINAL.has(String(body.status))) return body;
      await sleep(context.intervalMs, undefined, { signal: io.signal }).catch(() => {});
      if (io.signal?.aborted) throw io.signal.reason;
    }
  } finally {
    display.done();
  }
}

function summary(kind: string, body: Json): string {
  const sample = sampleOf(body);
  const started = Date.parse(String(body.startedAt ?? ''));
  const completed = Date.parse(String(body.completedAt ?? ''));
  const took = Number.isNaN(started) || Number.isNaN(completed) ? '' : ` in ${formatDuration(completed - started)}`;
  const error = body.error ? `: ${String(body.error)}` : '';
  return `${kind} ${String(body.id)} ${String(body.status)}, ${formatBytes(sample.bytesDone)}${took}${error}`;
}

/** `backup create <id> --backend <b> [--include ..] [--wait]` */
export async function createCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { context, values } = parse(
    argv,
    {
      include: { type: 'string' },
      exclude: { type: 'string' },
      'chunk-size': { type: 'string' },
      compression: { type: 'string' },
      'cpu-percentage': { type: 'string' },
      'incremental-base': { type: 'string' },
      wait: { type: 'boolean' },
    },
    io,
  );
  const base = values['incremental-base'];
  if (base === '') throw new UsageError('--incremental-base needs the id of a backup');
  const config = {
    ...(integer(values['chunk-size'], '--chunk-size') !== undefined ? { ChunkSize: integer(values['chunk-size'], '--chunk-size') } : {}),
    ...(typeof values.compression === 'string' ? { CompressionLevel: values.compression } : {}),
    ...(integer(values['cpu-percentage'], '--cpu-percentage') !== undefined ? { CPUPercentage: integer(values['cpu-percentage'], '--cpu-percentage') } : {}),
    ...(context.bucket ? { Bucket: context.bucket } : {}),
    ...(context.path ? { Path: context.path } : {}),
  };
  const body = {
    id: context.id,
    ...(list(values.include) ? { include: list(values.include) } : {}),
    ...(list(values.exclude) ? { exclude: list(values.exclude) } : {}),
    ...(typeof base === 'string' ? { incremental_base_backup_id: base } : {}),
    ...(Object.keys(config).length > 0 ? { config } : {}),
  };
  const created = (await context.client.call('POST', `/backups/${enc(context.backend)}`, body)) as Json;
  if (!values.wait) {
    io.out(
      context.json
        ? JSON.stringify(created)
        : `backup ${context.id} ${String(created.status)} on ${context.backend} at ${String(created.path)}: ${(created.classes as string[]).join(', ')}`,
    );
    return ExitCode.OK;
  }
  const final = await follow(context, io, `backup ${context.id}`, `/backups/${enc(context.backend)}/${enc(context.id)}${context.query}`, sampleOf);
  if (!context.json) io.out(summary('backup', final));
  return exitCodeForStatus(String(final.status));
}

/** `backup status <id> --backend <b> [--wait]` */
export async function statusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return await readStatus(argv, io, 'backup', (context) => `/backups/${enc(context.backend)}/${enc(context.id)}${context.query}`);
}

/** `backup restore-status <id> --backend <b> [--wait]` */
export async function restoreStatusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return await readStatus(argv, io, 'restore', (context) => `/backups/${enc(context.backend)}/${enc(context.id)}/restore${context.query}`);
}

async function readStatus(argv: readonly string[], io: CliIo, kind: string, pathOf: (context: Context) => string): Promise<number> {
  const { context, values } = parse(argv, { wait: { type: 'boolean' } }, io);
  const path = pathOf(context);
  const body = values.wait ? await follow(context, io, `${kind} ${context.id}`, path, sampleOf) : ((await context.client.call('GET', path)) as Json);
  if (context.json) {
    if (!values.wait) io.out(JSON.stringify(body));
  } else {
    const sample = sampleOf(body);
    const total = sample.bytesTotal === null ? '' : ` of ${formatBytes(sample.bytesTotal)}`;
    const error = body.error ? ` (${String(body.error)})` : '';
    io.out(`${kind} ${context.id}: ${String(body.status)}, ${formatBytes(sample.bytesDone)}${total}${error}`);
  }
  return exitCodeForStatus(String(body.status));
}

/** `backup list --backend <b> [--order asc|desc]` */
export async function listCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { context, values } = parse(argv, { order: { type: 'string' } }, io, false);
  const order = typeof values.order === 'string' ? values.order : undefined;
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw new UsageError('--order must be asc or desc');
  const params = new URLSearchParams(context.query.slice(1));
  if (order) params.set('order', order);
  const query = params.toString() === '' ? '' : `?${params.toString()}`;
  const backups = (await context.client.call('GET', `/backups/${enc(context.backend)}${query}`)) as Json[];
  if (context.json) {
    io.out(JSON.stringify(backups));
    return ExitCode.OK;
  }
  if (backups.length === 0) io.out(`no backups on ${context.backend}`);
  for (const backup of backups) {
    const size = formatBytes(Math.round(Number(backup.size ?? 0) * GIB));
    io.out(`${String(backup.id)}\t${String(backup.status)}\t${size}\t${String(backup.startedAt ?? '')}\t${((backup.classes as string[]) ?? []).join(',')}`);
  }
  return ExitCode.OK;
}

/** `backup restore <id> --backend <b> [--include ..] [--node-mapping a=b,..] [--wait]` */
export async function restoreCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { context, values } = parse(
    argv,
    {
      include: { type: 'string' },
      exclude: { type: 'string' },
      'node-mapping': { type: 'string' },
      'cpu-percentage': { type: 'string' },
      wait: { type: 'boolean' },
    },
    io,
  );
  const mapping = list(values['node-mapping']);
  const nodeMapping = mapping?.map((pair) => {
    const [from, to, ...rest] = pair.split('=');
    if (!from || !to || rest.length > 0) throw new UsageError(`--node-mapping: "${pair}" is not old=new`);
    return [from, to] as const;
  });
  const cpu = integer(values['cpu-percentage'], '--cpu-percentage');
  const config = {
    ...(cpu !== undefined ? { CPUPercentage: cpu } : {}),
    ...(context.bucket ? { Bucket: context.bucket } : {}),
    ...(context.path ? { Path: context.path } : {}),
  };
  const body = {
    ...(list(values.include) ? { include: list(values.include) } : {}),
    ...(list(values.exclude) ? { exclude: list(values.exclude) } : {}),
    ...(nodeMapping ? { node_mapping: Object.fromEntries(nodeMapping) } : {}),
    ...(Object.keys(config).length > 0 ? { config } : {}),
  };
  const started = (await context.client.call('POST', `/backups/${enc(context.backend)}/${enc(context.id)}/restore`, body)) as Json;
  if (!values.wait) {
    io.out(context.json ? JSON.stringify(started) : `restore of ${context.id} ${String(started.status)}: ${(started.classes as string[]).join(', ')}`);
    return ExitCode.OK;
  }
  const final = await follow(context, io, `restore ${context.id}`, `/backups/${enc(context.backend)}/${enc(context.id)}/restore${context.query}`, sampleOf);
  if (!context.json) io.out(summary('restore', final));
  return exitCodeForStatus(String(final.status));
}

/** `backup cancel <id> --backend <b> [--restore]` */
export async function cancelCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { context, values } = parse(argv, { restore: { type: 'boolean' } }, io);
  const restore = values.restore === true;
  const path = `/backups/${enc(context.backend)}/${enc(context.id)}${restore ? '/restore' : ''}${context.query}`;
  await context.client.call('DELETE', path);
  const what = restore ? `restore of ${context.id}` : `backup ${context.id}`;
  io.out(context.json ? JSON.stringify({ id: context.id, canceled: restore ? 'restore' : 'backup' }) : `${what}: cancel requested`);
  return ExitCode.OK;
}

/** `backup copy <id> --url .. --from <b> --to <b>`: the server copies; waits for the end. */
export async function remoteCopyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  // --from is the backend the backup is on: the same as --backend for the other commands.
  const rewritten = argv.map((arg) => (arg === '--from' ? '--backend' : arg.startsWith('--from=') ? `--backend=${arg.slice(7)}` : arg));
  const { context, values } = parse(
    rewritten,
    {
      to: { type: 'string' },
      'to-bucket': { type: 'string' },
      'to-path': { type: 'string' },
      'from-bucket': { type: 'string' },
      'from-path': { type: 'string' },
      'verify-existing': { type: 'boolean' },
      concurrency: { type: 'string' },
    },
    io,
  );
  if (typeof values.to !== 'string') throw new UsageError('--to <backend> is required: where to copy it');
  const fromBucket = (values['from-bucket'] as string | undefined) ?? context.bucket;
  const fromPath = (values['from-path'] as string | undefined) ?? context.path;
  const from = compactLocation({ bucket: fromBucket, path: fromPath }) as Record<string, string>;
  const body = {
    to: { backend: values.to, ...compactLocation({ bucket: values['to-bucket'] as string | undefined, path: values['to-path'] as string | undefined }) },
    ...(Object.keys(from).length > 0 ? { from } : {}),
    ...(values['verify-existing'] ? { verifyExisting: true } : {}),
    ...(integer(values.concurrency, '--concurrency') !== undefined ? { concurrency: integer(values.concurrency, '--concurrency') } : {}),
  };
  const base = `/backups/${enc(context.backend)}/${enc(context.id)}/copy`;
  await context.client.call('POST', base, body);
  const query = new URLSearchParams(from).toString();
  const final = await follow(context, io, `copy ${context.id}`, `${base}${query ? `?${query}` : ''}`, transferSample);
  if (!context.json) {
    const to = (final.to ?? {}) as Json;
    io.out(
      `copy of ${context.id} to ${String(to.path ?? values.to)} ${String(final.status)}, ${formatBytes(transferSample(final).bytesDone)}${final.error ? `: ${String(final.error)}` : ''}`,
    );
  }
  return exitCodeForStatus(String(final.status));
}

/** `backup verify <id> --url .. --backend <b>`: the server verifies; waits for the end. */
export async function remoteVerifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { context } = parse(argv, { concurrency: { type: 'string' } }, io);
  const base = `/backups/${enc(context.backend)}/${enc(context.id)}/verify`;
  const location = compactLocation(context);
  await context.client.call('POST', base, location);
  const final = await follow(context, io, `verify ${context.id}`, `${base}${context.query}`, transferSample);
  const problems = (final.problems ?? []) as Json[];
  if (!context.json) {
    io.out(`verify of ${context.id}: ${String(final.status)}, ${formatBytes(transferSample(final).bytesDone)} checked`);
    for (const problem of problems) io.out(`  ${String(problem.message ?? JSON.stringify(problem))}`);
  }
  if (final.status === 'FAILED' && problems.length === 0) return ExitCode.FAILED; // could not finish: not proven damaged
  return exitCodeForStatus(String(final.status), 'verify');
}

/** `backup delete <id> --backend <b>`: removes a finished backup, keeping what other backups reuse. */
export async function deleteCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { context } = parse(argv, {}, io);
  const params = new URLSearchParams(context.query.slice(1));
  params.set('purge', 'true');
  await context.client.call('DELETE', `/backups/${enc(context.backend)}/${enc(context.id)}?${params.toString()}`);
  io.out(context.json ? JSON.stringify({ id: context.id, deleted: true }) : `backup ${context.id} deleted`);
  return ExitCode.OK;
}

/** `7d`, `12h`, `30m`, `45s` → milliseconds. */
function duration(value: string | boolean | undefined, name: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)(d|h|m|s)$/.exec(value);
  if (!match) throw new UsageError(`${name} must be a number and a unit (d, h, m, s), e.g. 7d`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[match[2] as 'd' | 'h' | 'm' | 's'];
  return Number(match[1]) * unit;
}

/** `backup prune --backend <b> --keep-last N | --newer-than 7d [--dry-run]`: retention through delete. */
export async function pruneCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { context, values } = parse(argv, { 'keep-last': { type: 'string' }, 'newer-than': { type: 'string' }, 'dry-run': { type: 'boolean' } }, io, false);
  const keepLast = integer(values['keep-last'], '--keep-last');
  const newerThanMs = duration(values['newer-than'], '--newer-than');
  if (keepLast === undefined && newerThanMs === undefined) throw new UsageError('give --keep-last <n>, --newer-than <duration> or both');
  const listed = (await context.client.call('GET', `/backups/${enc(context.backend)}${context.query}`)) as Json[];
  const reports = listed.map((item) => ({
    id: String(item.id),
    status: String(item.status),
    startedAt: item.startedAt ? new Date(String(item.startedAt)) : undefined,
  })) as unknown as Parameters<typeof planRetention>[0];
  let plan;
  try {
    plan = planRetention(reports, { keepLast, newerThanMs });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const failed: { id: string; error: string }[] = [];
  const deleted: string[] = [];
  if (!values['dry-run']) {
    for (const id of [...plan.delete].reverse()) {
      const params = new URLSearchParams(context.query.slice(1));
      params.set('purge', 'true');
      try {
        await context.client.call('DELETE', `/backups/${enc(context.backend)}/${enc(id)}?${params.toString()}`);
        deleted.push(id);
      } catch (error) {
        failed.push({ id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  if (context.json) {
    io.out(JSON.stringify({ keep: plan.keep, delete: plan.delete, deleted, failed, dryRun: values['dry-run'] === true }));
  } else {
    const verb = values['dry-run'] ? 'would delete' : 'deleted';
    io.out(`keep: ${plan.keep.join(', ') || '(none)'}`);
    io.out(`${verb}: ${(values['dry-run'] ? plan.delete : deleted).join(', ') || '(none)'}`);
    for (const failure of failed) io.err(`could not delete ${failure.id}: ${failure.error}`);
  }
  return failed.length > 0 ? ExitCode.FAILED : ExitCode.OK;
}
