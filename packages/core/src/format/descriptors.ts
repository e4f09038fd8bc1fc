import { BackupError, ErrorCode } from '../errors.ts';
import type { CollectionMetadata, ShardStatus } from '../source.ts';
import type { Codec, CompressionSpec } from './compression-spec.ts';
import { backupIdOfKey } from './object-keys.ts';
import { isBackupStatus, type BackupStatus } from './status.ts';

/**
 * Descriptor format version, `MAJOR.MINOR`. A reader accepts any minor of its
 * own or an older major, and refuses a newer major (it could not know what
 * changed). Bump MINOR for additive fields, MAJOR for anything else.
 */
export const FORMAT_VERSION = '2.3';
const SUPPORTED_MAJOR = 2;

/**
 * How a node's bytes are hashed (format 2.3; docs/DESIGN.md, "Integrity
 * hashing"). `algorithm` hashes chunks' stored bytes, files and entries;
 * `partHashes: false`: the parts of a split file record no sha256 of their
 * own, the file's sha256 verifies them (and the chunk's sha256 its stored
 * bytes). Absent (format 2.2 and older): sha256, every entry records one.
 */
export interface HashingRecord {
  readonly algorithm: 'sha256';
  readonly partHashes: boolean;
}

/** What this version writes. */
export const HASHING: HashingRecord = { algorithm: 'sha256', partHashes: false };
const KNOWN_HASH_ALGORITHMS: readonly string[] = ['sha256'];

/** What a descriptor records of a chunk's encryption: everything a restore needs but the user's key (see engine/chunk-cipher.ts). */
export interface EncryptionRecord {
  readonly algorithm: 'AES-256-GCM';
  /** The data key, wrapped by the user's key: base64 of IV | ciphertext | tag. */
  readonly wrappedKey: string;
  /** First 16 hex digits of sha256 of the user's key: tells a wrong key from damage. */
  readonly keyFingerprint: string;
}

/** One tar entry of a chunk: a whole file, or a part of a file larger than a chunk. */
export interface ChunkEntryRecord {
  readonly path: string;
  /** Where in the file this entry's bytes start. */
  readonly offset: number;
  readonly length: number;
  /**
   * sha256 of these bytes, hex. Absent on a part of a split file from format
   * 2.3 on: the file's sha256 verifies it (see {@link HashingRecord}).
   */
  readonly sha256?: string | undefined;
  /**
   * Set on entries of a chunk reused from an earlier backup whose file is not
   * part of this backup (deleted or changed since): a restore reads and
   * verifies them with the chunk but writes nothing.
   */
  readonly unused?: boolean | undefined;
}

export interface ChunkRecord {
  /** Object key relative to the root, e.g. `my-id/node1/Article/chunk-0`. */
  readonly key: string;
  /** Stored (compressed) bytes and their sha256, hex. */
  readonly size: number;
  readonly sha256: string;
  /** Bytes of file data before compression. */
  readonly rawSize: number;
  readonly entries: readonly ChunkEntryRecord[];
  /**
   * The chunk's codec when it is reused from an earlier backup (its key then
   * lies in that backup's folder); absent: the node descriptor's compression.
   */
  readonly codec?: Codec | undefined;
  /** Likewise its encryption, when it differs from the node descriptor's. */
  readonly encryption?: EncryptionRecord | undefined;
}

/** True when a chunk of backup `id` is stored in another backup's folder (an incremental reference). */
export function isReusedChunk(chunk: ChunkRecord, id: string): boolean {
  return backupIdOfKey(chunk.key) !== id;
}

export interface FileRecord {
  readonly path: string;
  readonly shard: string;
  readonly size: number;
  readonly sha256: string;
  /**
   * Where an immutable file lived on disk (`<dev>:<ino>:<mtimeNs>`, format 2.2):
   * a later incremental backup reuses a file with the same path, size and
   * identity without reading it (see engine/file-identity.ts).
   */
  readonly identity?: string | undefined;
  /** Keys of the chunks holding it; more than one when it was split into parts. */
  readonly chunks: readonly string[];
}

export interface ShardRecord {
  readonly name: string;
  readonly status: ShardStatus;
  readonly writerStallMs: number;
}

export interface SkippedShardRecord {
  readonly shard: string;
  readonly reason: string;
}

export interface CollectionRecord {
  readonly name: string;
  readonly metadata: CollectionMetadata;
  readonly shards: readonly ShardRecord[];
  readonly skipped: readonly SkippedShardRecord[];
  readonly files: readonly FileRecord[];
  readonly chunks: readonly ChunkRecord[];
  readonly rawSize: number;
  /** Stored bytes this backup uploaded, and stored bytes of the chunks it reuses from earlier backups. */
  readonly storedSize: number;
  readonly reusedStoredSize?: number | undefined;
}

/** `<id>/<node>/backup.json` */
export interface NodeDescriptor {
  readonly version: string;
  readonly id: string;
  readonly node: string;
  readonly status: BackupStatus;
  readonly error: string;
  readonly startedAt: string;
  readonly completedAt: string;
  readonly compression: CompressionSpec;
  readonly chunkSizeBytes: number;
  readonly pipelines: number;
  /** Bytes before compression, and stored. */
  readonly preCompressionSizeBytes: number;
  readonly storedSizeBytes: number;
  /** Set on an incremental backup: the backup it was based on, and the stored bytes it reuses from the chain. */
  readonly incrementalBaseBackupId?: string | undefined;
  readonly reusedStoredSizeBytes?: number | undefined;
  /** Set when this node's chunks are encrypted (client-side, AES-256-GCM): the wrapped data key. */
  readonly encryption?: EncryptionRecord | undefined;
  /** How its bytes are hashed (format 2.3); absent: sha256 with a hash per entry (2.2 and older). */
  readonly hashing?: HashingRecord | undefined;
  readonly collections: readonly CollectionRecord[];
}

export interface NodeSummary {
  readonly classes: readonly string[];
  readonly status: BackupStatus;
  readonly error: string;
  readonly preCompressionSizeBytes: number;
  readonly storedSizeBytes?: number | undefined;
  readonly reusedStoredSizeBytes?: number | undefined;
  readonly skipped: readonly { readonly collection: string; readonly shard: string; readonly reason: string }[];
}

/** `<id>/backup_config.json` */
export interface GlobalDescriptor {
  readonly version: string;
  readonly id: string;
  readonly backend: string;
  readonly status: BackupStatus;
  readonly error: string;
  readonly startedAt: string;
  readonly completedAt?: string | undefined;
  readonly classes: readonly string[];
  /** The node that coordinated the backup. */
  readonly coordinator: string;
  readonly nodes: Readonly<Record<string, NodeSummary>>;
  readonly compression: CompressionSpec;
  readonly chunkSizeBytes: number;
  readonly cpuPercentage: number;
  readonly preCompressionSizeBytes: number;
  /**
   * An incremental backup names its base from the first write on (STARTED),
   * so a concurrent delete of the base sees the reference; see storage-gc.
   */
  readonly incrementalBaseBackupId?: string | undefined;
  /** Stored bytes uploaded by this backup, and reused from its base chain (known once it ended). */
  readonly storedSizeBytes?: number | undefined;
  readonly reusedStoredSizeBytes?: number | undefined;
}

/** `<id>/restore_config.json` */
export interface RestoreDescriptor {
  readonly version: string;
  readonly id: string;
  readonly backend: string;
  readonly status: BackupStatus;
  readonly error: string;
  readonly startedAt: string;
  readonly completedAt?: string | undefined;
  readonly classes: readonly string[];
  readonly nodeMapping: Readonly<Record<string, string>>;
}

export function encodeDescriptor(descriptor: GlobalDescriptor | NodeDescriptor | RestoreDescriptor): string {
  return `${JSON.stringify(descriptor, null, 2)}\n`;
}

/** Rejects a descriptor from a newer major version with NOT_SUPPORTED, garbage with CORRUPT. */
function checkVersion(value: unknown, what: string): void {
  const match = typeof value === 'string' ? /^(\d+)\.(\d+)$/.exec(value) : null;
  if (!match) throw new BackupError(ErrorCode.CORRUPT, `${what} has no valid format version`);
  const major = Number(match[1]);
  if (major > SUPPORTED_MAJOR) {
    throw new BackupError(
      ErrorCode.NOT_SUPPORTED,
      `${what} has format version ${String(value)}, newer than this node supports (${SUPPORTED_MAJOR}.x): upgrade to restore it`,
    );
  }
  if (major < SUPPORTED_MAJOR) {
    throw new BackupError(ErrorCode.NOT_SUPPORTED, `${what} has format version ${String(value)}, older than ${SUPPORTED_MAJOR}.x`);
  }
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new BackupError(ErrorCode.CORRUPT, `${what} is not valid JSON`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BackupError(ErrorCode.CORRUPT, `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function requireFields(value: Record<string, unknown>, what: string, fields: Readonly<Record<string, string>>): void {
  for (const [field, type] of Object.entries(fields)) {
    const actual = Array.isArray(value[field]) ? 'array' : typeof value[field];
    if (actual !== type) throw new BackupError(ErrorCode.CORRUPT, `${what} is corrupt: field "${field}" is missing or not ${type}`);
  }
  if (!isBackupStatus(value.status)) throw new BackupError(ErrorCode.CORRUPT, `${what} is corrupt: unknown status`);
}

export function decodeGlobalDescriptor(bytes: Uint8Array, what = 'backup descriptor'): GlobalDescriptor {
  const value = parseJson(bytes, what);
  checkVersion(value.version, what);
  requireFields(value, what, { id: 'string', status: 'string', startedAt: 'string', classes: 'array', nodes: 'object' });
  return value as unknown as GlobalDescriptor;
}

export function decodeNodeDescriptor(bytes: Uint8Array, what = 'node descriptor'): NodeDescriptor {
  const value = parseJson(bytes, what);
  checkVersion(value.version, what);
  requireFields(value, what, { id: 'string', node: 'string', status: 'string', collections: 'array', compression: 'object' });
  const hashing = value.hashing as Partial<HashingRecord> | undefined;
  if (hashing !== undefined && !KNOWN_HASH_ALGORITHMS.includes(String(hashing?.algorithm))) {
    throw new BackupError(ErrorCode.NOT_SUPPORTED, `${what} is hashed with ${String(hashing?.algorithm)}, which this node does not know: upgrade to read it`);
  }
  for (const collection of value.collections as unknown[]) {
    const record = collection as Partial<CollectionRecord>;
    if (typeof record?.name !== 'string' || !Array.isArray(record.chunks) || !Array.isArray(record.files)) {
      throw new BackupError(ErrorCode.CORRUPT, `${what} is corrupt: a collection record is malformed`);
    }
  }
  return value as unknown as NodeDescriptor;
}

export function decodeRestoreDescriptor(bytes: Uint8Array, what = 'restore descriptor'): RestoreDescriptor {
  const value = parseJson(bytes, what);
  checkVersion(value.version, what);
  requireFields(value, what, { id: 'string', status: 'string', startedAt: 'string', classes: 'array' });
  return value as unknown as RestoreDescriptor;
}
