import { BackupError, ErrorCode } from '../errors.ts';
import { decodeGlobalDescriptor, decodeNodeDescriptor, type ChunkRecord, type GlobalDescriptor, type NodeDescriptor } from '../format/descriptors.ts';
import { globalDescriptorKey, nodeDescriptorKey, backupIdOfKey } from '../format/object-keys.ts';
import { BackupStatus } from '../format/status.ts';
import { homeOf, locationOf, type BackupEndpoint } from './endpoint.ts';

/** One node's descriptor: the exact stored bytes (copied verbatim) and what they say. */
export interface NodeManifest {
  readonly node: string;
  readonly key: string;
  readonly bytes: Buffer;
  readonly descriptor: NodeDescriptor;
}

/** Everything a complete backup consists of, as its descriptors record it. */
export interface BackupManifest {
  readonly id: string;
  readonly global: GlobalDescriptor;
  readonly nodes: readonly NodeManifest[];
  /** Every chunk of every node, with its recorded size and sha256. */
  readonly chunks: readonly ChunkRecord[];
  /** Sum of the chunks' stored sizes. */
  readonly storedBytes: number;
}

/** Reads the global descriptor; NOT_FOUND (the backup does not exist) when it is absent. */
export async function fetchGlobalDescriptor(
  endpoint: BackupEndpoint,
  id: string,
  signal?: AbortSignal,
): Promise<{ readonly key: string; readonly bytes: Buffer }> {
  const key = globalDescriptorKey(id);
  try {
    return { key, bytes: await endpoint.provider.get(key, { location: locationOf(endpoint), signal }) };
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
      throw new BackupError(ErrorCode.NOT_FOUND, `backup "${id}" does not exist at "${homeOf(endpoint, id)}"`, { cause: error });
    }
    throw error;
  }
}

/** `<other id>/<node>/<collection>/chunk-<n>`: where a reused chunk may be. */
const REUSED_KEY = /^[a-z0-9_-]+\/[^/]+\/[^/]+\/chunk-\d+$/;

/**
 * Problems of one node descriptor's content that decoding does not catch: it
 * belongs to another backup or node, names chunks outside its own folder (a
 * copy would otherwise write them anywhere under the root), or names a chunk
 * for a file without listing it.
 */
export function nodeDescriptorInconsistencies(descriptor: NodeDescriptor, id: string, node: string): string[] {
  const problems: string[] = [];
  if (descriptor.id !== id) problems.push(`it belongs to backup "${descriptor.id}"`);
  if (descriptor.node !== node) problems.push(`it belongs to node "${descriptor.node}"`);
  const folder = `${id}/${node}/`;
  for (const collection of descriptor.collections) {
    const listed = new Set<string>();
    for (const chunk of collection.chunks) {
      // An incremental backup's reused chunks live in an earlier backup's folder (a copy brings them along there).
      const reused = typeof chunk.key === 'string' && REUSED_KEY.test(chunk.key) && backupIdOfKey(chunk.key) !== id;
      if (typeof chunk.key !== 'string' || (!chunk.key.startsWith(folder) && !reused)) {
        problems.push(`chunk ${String(chunk.key)} is outside ${folder}`);
      } else if (!Number.isSafeInteger(chunk.size) || chunk.size < 0 || !/^[0-9a-f]{64}$/.test(String(chunk.sha256))) {
        problems.push(`chunk ${chunk.key} has no valid size and sha256`);
      }
      listed.add(chunk.key);
    }
    for (const file of collection.files) {
      for (const key of file.chunks ?? []) {
        if (!listed.has(key)) problems.push(`file ${file.path} names chunk ${key}, which is not listed`);
      }
    }
  }
  return problems;
}

/**
 * Reads and checks every descriptor of a backup that must be complete: the
 * global one and each node's, all parseable, of a supported version,
 * consistent and SUCCESS. Rejects with NOT_FOUND (no such backup), CONFLICT
 * (not SUCCESS: still running, failed or cancelled), CORRUPT (a descriptor is
 * missing, unreadable or inconsistent) or NOT_SUPPORTED (newer format).
 */
export async function readCompleteBackup(endpoint: BackupEndpoint, id: string, signal?: AbortSignal): Promise<BackupManifest> {
  const { key: globalKey, bytes } = await fetchGlobalDescriptor(endpoint, id, signal);
  const global = decodeGlobalDescriptor(bytes, globalKey);
  if (global.id !== id) throw new BackupError(ErrorCode.CORRUPT, `${globalKey} belongs to backup "${global.id}"`);
  if (global.status !== BackupStatus.SUCCESS) {
    throw new BackupError(ErrorCode.CONFLICT, `backup ${id} has status ${global.status}: only a backup with status SUCCESS can be copied`);
  }
  const names = Object.keys(global.nodes);
  if (names.length === 0) throw new BackupError(ErrorCode.CORRUPT, `${globalKey} records no node`);

  const nodes: NodeManifest[] = [];
  for (const node of names) {
    const key = nodeDescriptorKey(id, node);
    let nodeBytes: Buffer;
    try {
      nodeBytes = await endpoint.provider.get(key, { location: locationOf(endpoint), signal });
    } catch (error) {
      if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
        throw new BackupError(ErrorCode.CORRUPT, `backup ${id} is incomplete: ${key} is missing`, { cause: error });
      }
      throw error;
    }
    const descriptor = decodeNodeDescriptor(nodeBytes, key);
    if (descriptor.status !== BackupStatus.SUCCESS) {
      throw new BackupError(ErrorCode.CONFLICT, `backup ${id} of node ${node} has status ${descriptor.status}`);
    }
    const problems = nodeDescriptorInconsistencies(descriptor, id, node);
    if (problems.length > 0) throw new BackupError(ErrorCode.CORRUPT, `${key} is inconsistent: ${problems.join('; ')}`);
    nodes.push({ node, key, bytes: nodeBytes, descriptor });
  }
  const chunks = nodes.flatMap(({ descriptor }) => descriptor.collections.flatMap((collection) => collection.chunks));
  return { id, global, nodes, chunks, storedBytes: chunks.reduce((sum, chunk) => sum + chunk.size, 0) };
}
