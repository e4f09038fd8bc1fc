/**
 * Backups and restores through the server's `/v1/backups` API, timed from the
 * request to the moment the status reads SUCCESS (as a client sees it); and
 * the JSON request every part of the bench talks to the server with.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface BackupRun {
  readonly id: string;
  /** Wall time from the create request to SUCCESS seen by polling. */
  readonly seconds: number;
  /** Bytes stored by the provider (compressed chunks). */
  readonly storedBytes: number;
  /** Bytes of shard files before compression, as the node descriptor records them. */
  readonly rawBytes: number;
  /** Pipelines the node used (from its descriptor). */
  readonly pipelines: number;
  /** Writer stall of every shard's snapshot, from the node descriptor. */
  readonly shards: { collection: string; shard: string; writerStallMs: number }[];
}

export interface RestoreRun {
  readonly id: string;
  readonly seconds: number;
}

export interface BackupRequest {
  readonly id: string;
  readonly compressionLevel: string;
  readonly cpuPercentage: number;
  /** Makes it an incremental backup on top of this one. */
  readonly incrementalBaseBackupId?: string | undefined;
}

/** How often the status is polled: small next to a run's duration, light on the server. */
const POLL_MS = 25;
const FINAL = new Set(['SUCCESS', 'FAILED', 'CANCELED']);

/** Runs one backup to the filesystem provider rooted at `backupPath` and waits for it. */
export async function runBackup(url: string, backupPath: string, request: BackupRequest, timeoutMs: number): Promise<BackupRun> {
  const started = performance.now();
  await call(url, 'POST', '/v1/backups/filesystem', {
    id: request.id,
    config: { CompressionLevel: request.compressionLevel, CPUPercentage: request.cpuPercentage },
    ...(request.incrementalBaseBackupId ? { incremental_base_backup_id: request.incrementalBaseBackupId } : {}),
  });
  await waitFor(url, `/v1/backups/filesystem/${request.id}`, timeoutMs, `backup ${request.id}`);
  const seconds = (performance.now() - started) / 1000;
  const descriptor = JSON.parse(await fsp.readFile(path.join(backupPath, request.id, 'node1', 'backup.json'), 'utf8')) as NodeDescriptorView;
  return {
    id: request.id,
    seconds,
    storedBytes: descriptor.storedSizeBytes,
    rawBytes: descriptor.preCompressionSizeBytes,
    pipelines: descriptor.pipelines,
    shards: descriptor.collections.flatMap((collection) =>
      collection.shards.map((shard) => ({ collection: collection.name, shard: shard.name, writerStallMs: shard.writerStallMs })),
    ),
  };
}

/** Restores backup `id` into the (empty) server at `url` and waits for it. */
export async function runRestore(url: string, id: string, cpuPercentage: number, timeoutMs: number): Promise<RestoreRun> {
  const started = performance.now();
  await call(url, 'POST', `/v1/backups/filesystem/${id}/restore`, { config: { CPUPercentage: cpuPercentage } });
  await waitFor(url, `/v1/backups/filesystem/${id}/restore`, timeoutMs, `restore ${id}`);
  return { id, seconds: (performance.now() - started) / 1000 };
}

/** The fields of `<id>/<node>/backup.json` the benchmark reads. */
interface NodeDescriptorView {
  readonly storedSizeBytes: number;
  readonly preCompressionSizeBytes: number;
  readonly pipelines: number;
  readonly collections: { name: string; shards: { name: string; writerStallMs: number }[] }[];
}

/** Polls `statusPath` until it reads SUCCESS (resolves) or FAILED/CANCELED (rejects), at most `timeoutMs`. */
export async function waitFor(url: string, statusPath: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = (await call(url, 'GET', statusPath)) as { status: string; error?: string };
    if (FINAL.has(status.status)) {
      if (status.status !== 'SUCCESS') throw new Error(`${what} ended ${status.status}: ${status.error ?? ''}`);
      return;
    }
    if (performance.now() > deadline) throw new Error(`${what} did not finish within ${timeoutMs / 1000} s (status ${status.status})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** One JSON request to the server; rejects with the status and (the start of) the body unless it answers 2xx. */
export async function call(url: string, method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 1000)}`);
  return text === '' ? undefined : JSON.parse(text);
}
