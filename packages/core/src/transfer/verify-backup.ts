import { BackupError, ErrorCode, throwIfAborted } from '../errors.ts';
import { decodeGlobalDescriptor, decodeNodeDescriptor, type ChunkRecord, type GlobalDescriptor } from '../format/descriptors.ts';
import { nodeDescriptorKey } from '../format/object-keys.ts';
import { forEachParallel } from '../engine/parallel.ts';
import { validateBackupId } from '../engine/request-validation.ts';
import { BackupStatus } from '../format/status.ts';
import { fetchGlobalDescriptor, nodeDescriptorInconsistencies } from './backup-manifest.ts';
import { checkStoredChunk } from './chunk-check.ts';
import { homeOf, locationOf, type BackupEndpoint } from './endpoint.ts';

/** What is wrong with one object of a backup. Stable: tools may branch on it. */
export const VerifyProblemKind = {
  /** A descriptor the backup needs is absent. */
  DESCRIPTOR_MISSING: 'DESCRIPTOR_MISSING',
  /** A descriptor is not valid JSON, misses fields, is inconsistent, or has a format version this version cannot read. */
  DESCRIPTOR_INVALID: 'DESCRIPTOR_INVALID',
  /** The backup (or a node's part of it) did not end SUCCESS: it cannot be restored. */
  NOT_SUCCESS: 'NOT_SUCCESS',
  /** A chunk the descriptor records is absent. */
  CHUNK_MISSING: 'CHUNK_MISSING',
  /** A chunk's stored size differs from the recorded one. */
  SIZE_MISMATCH: 'SIZE_MISMATCH',
  /** A chunk's stored bytes have another sha256 than the recorded one. */
  SHA256_MISMATCH: 'SHA256_MISMATCH',
} as const;

export type VerifyProblemKind = (typeof VerifyProblemKind)[keyof typeof VerifyProblemKind];

export interface VerifyProblem {
  readonly kind: VerifyProblemKind;
  /** The object at fault, relative to the root, e.g. `my-id/node1/Article/chunk-3`. */
  readonly key: string;
  readonly message: string;
}

export interface VerifyReport {
  readonly id: string;
  /** The backup's home, e.g. `s3://bucket/root/<id>`. */
  readonly path: string;
  /** The status the global descriptor records; undefined if it could not be read. */
  readonly status: BackupStatus | undefined;
  /** True when there is no problem: the backup is complete and every chunk is intact. */
  readonly ok: boolean;
  /** Every problem found, in the order of the descriptors. */
  readonly problems: readonly VerifyProblem[];
  /** Nodes whose descriptors were read. */
  readonly nodes: readonly string[];
  readonly chunks: number;
  /** Stored bytes the descriptors record, and bytes read and hashed. */
  readonly bytes: number;
  readonly bytesChecked: number;
  readonly durationMs: number;
}

export interface VerifyProgress {
  readonly chunks: number;
  readonly chunksChecked: number;
  readonly bytes: number;
  readonly bytesChecked: number;
}

export interface VerifyBackupOptions {
  readonly id: string;
  readonly provider: BackupEndpoint['provider'];
  readonly location?: BackupEndpoint['location'];
  readonly signal?: AbortSignal | undefined;
  /** Chunks read at once (default 4). */
  readonly concurrency?: number | undefined;
  readonly onProgress?: ((progress: VerifyProgress) => void) | undefined;
}

/** A verification whose backup was found; `run` reads and checks everything (once). */
export interface VerifyPlan {
  readonly id: string;
  /** The backup's home, e.g. `s3://bucket/root/<id>`. */
  readonly path: string;
  run(): Promise<VerifyReport>;
}

/**
 * Finds the backup to verify: rejects with INVALID_ARGUMENT for a bad id and
 * NOT_FOUND when there is no backup descriptor at all, before any chunk is read.
 */
export async function planVerify(options: VerifyBackupOptions): Promise<VerifyPlan> {
  const id = validateBackupId(options.id);
  const endpoint: BackupEndpoint = { provider: options.provider, location: options.location };
  const global = await fetchGlobalDescriptor(endpoint, id, options.signal);
  let started = false;
  return {
    id,
    path: homeOf(endpoint, id),
    run: async () => {
      if (started) throw new BackupError(ErrorCode.CONFLICT, `this verification of backup ${id} already ran`);
      started = true;
      return await runVerify(options, endpoint, id, global);
    },
  };
}

/**
 * Checks a stored backup in place, without restoring it: every descriptor is
 * present, parses, is of a readable version, consistent, and SUCCESS; every
 * chunk it records is present with the recorded size and sha256 (each is
 * streamed and hashed, nothing is written anywhere). Returns a report that
 * names every problem rather than stopping at the first.
 *
 * Rejects only when verification itself cannot proceed: INVALID_ARGUMENT for
 * a bad id, NOT_FOUND when there is no backup descriptor at all, ABORTED, and
 * backend failures (access, unreachable), which say nothing about the backup.
 */
export async function verifyBackup(options: VerifyBackupOptions): Promise<VerifyReport> {
  return await (await planVerify(options)).run();
}

async function runVerify(
  options: VerifyBackupOptions,
  endpoint: BackupEndpoint,
  id: string,
  { key: globalKey, bytes }: { readonly key: string; readonly bytes: Buffer },
): Promise<VerifyReport> {
  const location = locationOf(endpoint);
  const { signal } = options;
  const started = Date.now();
  const problems: VerifyProblem[] = [];
  const problem = (kind: VerifyProblemKind, key: string, message: string): void => {
    problems.push({ kind, key, message });
  };

  let global: GlobalDescriptor | undefined;
  try {
    global = decodeGlobalDescriptor(bytes, globalKey);
    if (global.id !== id) problem(VerifyProblemKind.DESCRIPTOR_INVALID, globalKey, `${globalKey} belongs to backup "${global.id}"`);
    if (global.status !== BackupStatus.SUCCESS) {
      problem(VerifyProblemKind.NOT_SUCCESS, globalKey, `backup ${id} has status ${global.status}${global.error ? `: ${global.error}` : ''}`);
    }
  } catch (error) {
    if (!BackupError.is(error) || (error.code !== ErrorCode.CORRUPT && error.code !== ErrorCode.NOT_SUPPORTED)) throw error;
    problem(VerifyProblemKind.DESCRIPTOR_INVALID, globalKey, error.message);
  }

  // The global descriptor names the nodes; without it, look for node descriptors.
  const nodeNames = global ? Object.keys(global.nodes) : await discoverNodes(endpoint, id, signal);
  if (global && nodeNames.length === 0 && global.status === BackupStatus.SUCCESS) {
    problem(VerifyProblemKind.DESCRIPTOR_INVALID, globalKey, `${globalKey} records no node`);
  }
  const chunks: ChunkRecord[] = [];
  const nodes: string[] = [];
  for (const node of nodeNames) {
    throwIfAborted(signal, `verification of backup ${id}`);
    const key = nodeDescriptorKey(id, node);
    let nodeBytes: Buffer;
    try {
      nodeBytes = await endpoint.provider.get(key, { location, signal });
    } catch (error) {
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
      problem(VerifyProblemKind.DESCRIPTOR_MISSING, key, `${key} is missing: node ${node}'s part of the backup is not there`);
      continue;
    }
    try {
      const descriptor = decodeNodeDescriptor(nodeBytes, key);
      nodes.push(node);
      if (descriptor.status !== BackupStatus.SUCCESS) {
        problem(VerifyProblemKind.NOT_SUCCESS, key, `node ${node}'s part of backup ${id} has status ${descriptor.status}`);
      }
      for (const inconsistency of nodeDescriptorInconsistencies(descriptor, id, node)) {
        problem(VerifyProblemKind.DESCRIPTOR_INVALID, key, `${key} is inconsistent: ${inconsistency}`);
      }
      // Only chunks inside the node's folder are looked at; others were reported above.
      for (const collection of descriptor.collections) {
        chunks.push(...collection.chunks.filter((chunk) => typeof chunk.key === 'string' && chunk.key.startsWith(`${id}/${node}/`)));
      }
    } catch (error) {
      if (!BackupError.is(error) || (error.code !== ErrorCode.CORRUPT && error.code !== ErrorCode.NOT_SUPPORTED)) throw error;
      problem(VerifyProblemKind.DESCRIPTOR_INVALID, key, error.message);
    }
  }

  const progress = { chunks: chunks.length, chunksChecked: 0, bytes: sumSizes(chunks), bytesChecked: 0 };
  options.onProgress?.({ ...progress });
  const findings = new Map<ChunkRecord, VerifyProblem>();
  await forEachParallel(
    chunks,
    Math.max(1, Math.min(64, Math.floor(options.concurrency ?? 4))),
    signal ?? new AbortController().signal,
    async (chunk, jobSignal) => {
      const found = await checkStoredChunk(endpoint, chunk, {
        hash: true,
        signal: jobSignal,
        onBytes: (read) => {
          progress.bytesChecked += read;
          options.onProgress?.({ ...progress });
        },
      });
      progress.chunksChecked++;
      options.onProgress?.({ ...progress });
      if (found.state === 'missing') {
        findings.set(chunk, { kind: VerifyProblemKind.CHUNK_MISSING, key: chunk.key, message: `chunk ${chunk.key} is missing` });
      } else if (found.state === 'size') {
        findings.set(chunk, {
          kind: VerifyProblemKind.SIZE_MISMATCH,
          key: chunk.key,
          message: `chunk ${chunk.key} has ${found.actual} bytes, recorded ${chunk.size}`,
        });
      } else if (found.state === 'sha256') {
        findings.set(chunk, {
          kind: VerifyProblemKind.SHA256_MISMATCH,
          key: chunk.key,
          message: `chunk ${chunk.key} failed verification: sha256 does not match the recorded one`,
        });
      }
    },
  );
  // In descriptor order, whatever order the parallel checks finished in.
  for (const chunk of chunks) {
    const finding = findings.get(chunk);
    if (finding) problems.push(finding);
  }

  return {
    id,
    path: homeOf(endpoint, id),
    status: global?.status,
    ok: problems.length === 0,
    problems,
    nodes,
    chunks: chunks.length,
    bytes: progress.bytes,
    bytesChecked: progress.bytesChecked,
    durationMs: Date.now() - started,
  };
}

/** Node names of every `<id>/<node>/backup.json` present. */
async function discoverNodes(endpoint: BackupEndpoint, id: string, signal: AbortSignal | undefined): Promise<string[]> {
  const nodes: string[] = [];
  const prefix = `${id}/`;
  for await (const object of endpoint.provider.list(prefix, { location: locationOf(endpoint), signal })) {
    const rest = object.key.slice(prefix.length).split('/');
    if (rest.length === 2 && rest[1] === 'backup.json' && rest[0]) nodes.push(rest[0]);
  }
  return nodes.sort();
}

function sumSizes(chunks: readonly ChunkRecord[]): number {
  return chunks.reduce((sum, chunk) => sum + (Number.isSafeInteger(chunk.size) ? chunk.size : 0), 0);
}
