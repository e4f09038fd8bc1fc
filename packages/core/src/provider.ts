import type { Readable } from 'node:stream';
import type { ProviderCapabilities } from './capabilities.ts';

/**
 * Where, inside a provider, a call operates. Each field overrides the value
 * the provider was configured with, for this call only: `bucket` is the
 * bucket or container (ignored by the filesystem provider), `path` the root
 * prefix (for the filesystem provider, an absolute directory).
 */
export interface Location {
  readonly bucket?: string | undefined;
  readonly path?: string | undefined;
  /**
   * Weaviate's per-request `Endpoint` (`host[:port]`): the service to talk to
   * instead of the configured one. Only providers whose capabilities say
   * `endpointOverride` honour it; the engine refuses it for the others.
   */
  readonly endpoint?: string | undefined;
}

/** Options every call accepts. */
export interface CallOptions {
  readonly location?: Location | undefined;
  /** Cancels the call; it then rejects with `BackupError` code `ABORTED`. */
  readonly signal?: AbortSignal | undefined;
}

export interface WriteOptions extends CallOptions {
  /** Called with the running total of bytes consumed from the body. */
  readonly onProgress?: ((bytesWritten: number) => void) | undefined;
  /** Expected size if known; a hint for choosing part sizes, never trusted. */
  readonly sizeHint?: number | undefined;
}

/** A byte range: `length` bytes from `offset`, or to the end when `length` is absent. */
export interface ByteRange {
  readonly offset: number;
  readonly length?: number | undefined;
}

export interface ReadOptions extends CallOptions {
  readonly range?: ByteRange | undefined;
}

export interface ListOptions extends CallOptions {}

export interface CopyOptions extends CallOptions {
  /** Where the object is copied from (default: the configured location); `location` is where it goes. */
  readonly from?: Location | undefined;
}

export interface ObjectInfo {
  /** The key as it was written, relative to the location's root. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  readonly lastModified?: Date | undefined;
}

export interface WriteResult {
  /** Bytes stored. */
  readonly size: number;
}

/** A body for `write`: a Node readable stream or any (async) iterable of bytes. */
export type WriteBody = Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Where backup bytes go. One instance serves one configured bucket and root
 * path; every call may override them through `location`.
 *
 * Obligations, each proven by `@backup/conformance`:
 * - Keys are relative '/'-separated paths, validated by core before a provider
 *   sees them (see `normalizeKey`); a provider never writes outside its root.
 * - Every failure rejects with a `BackupError` whose `code` says what happened
 *   and whose `cause` is the original error.
 * - Every call honours `signal`: once it fires, the call rejects with `ABORTED`
 *   promptly and releases what it holds.
 * - Memory does not grow with object size: bodies are streamed.
 */
export interface BackupProvider {
  /** The name users select it by: `filesystem`, `s3`, `gcs`, `azure`, ... */
  readonly name: string;
  /** What this instance can do; frozen. */
  readonly capabilities: ProviderCapabilities;

  /**
   * Probes access: writes a small object under the root and removes it.
   * Rejects with `ACCESS_DENIED` for bad credentials or permissions,
   * `NOT_FOUND` for a missing bucket, with a message a person can act on.
   */
  initialize(options?: CallOptions): Promise<void>;

  /**
   * Optional: checks, before any work starts (no slot taken, nothing
   * written), that a request may use `location`, an override it sent. Rejects
   * with INVALID_ARGUMENT when the location is not allowed or cannot hold
   * backups (the filesystem provider: a `path` outside its allowed roots, also
   * through `..` or a symlink, or below a file). Must finish promptly even on
   * a path that hangs (core bounds it in time and aborts `signal`).
   */
  checkLocation?(location: Location, options?: CallOptions): Promise<void>;

  /**
   * The backup's home as users see it, e.g. `s3://bucket/root/<id>` or
   * `/abs/root/<id>`. Pure: does no I/O.
   */
  homeDir(backupId: string, location?: Location): string;

  /** Stores a small object (a descriptor) whole, replacing any previous one. */
  put(key: string, data: Uint8Array | string, options?: CallOptions): Promise<void>;

  /** Returns a small object whole. Rejects with `NOT_FOUND` if it is missing. */
  get(key: string, options?: CallOptions): Promise<Buffer>;

  /**
   * Streams `body` (of unknown length) into the object `key`.
   * - Atomic: the object becomes visible, with all its bytes, only when the
   *   promise resolves. If the write fails or is aborted, `key` holds what it
   *   held before (nothing, or the previous object) and, when
   *   `capabilities.abortCleansUp`, nothing of the failed write remains.
   * - `onProgress` is called with running totals; the last call equals the
   *   resolved `size`, which equals the bytes the body produced.
   * - An error thrown by the body rejects the write with that error as cause.
   */
  write(key: string, body: WriteBody, options?: WriteOptions): Promise<WriteResult>;

  /**
   * Opens the object for streaming. Rejects with `NOT_FOUND` before returning
   * a stream if the object is missing. With `range`, yields exactly those
   * bytes (clipped at the end of the object); an offset past the end yields
   * nothing. A stream error is a `BackupError`.
   */
  read(key: string, options?: ReadOptions): Promise<Readable>;

  /** Size and time of one object. Rejects with `NOT_FOUND` if it is missing. */
  stat(key: string, options?: CallOptions): Promise<ObjectInfo>;

  /**
   * Copies the object `key` from `options.from` to the same key at
   * `options.location`, inside the backend: no byte passes through this
   * process. Atomic like `write`; replaces an object already there. Rejects
   * with `NOT_FOUND` if the source is missing, and with `NOT_SUPPORTED`
   * unless `capabilities.serverSideCopy`, or when the backend cannot copy
   * this object between these locations in one operation (another endpoint,
   * an object above the backend's copy limit): the caller then streams it.
   * Optional: a provider without it is used as if it refused every copy.
   */
  copy?(key: string, options: CopyOptions): Promise<void>;

  /** Whether the object exists. */
  exists(key: string, options?: CallOptions): Promise<boolean>;

  /**
   * Every object whose key starts with `prefix` (a plain string prefix, not a
   * directory), across as many backend pages as needed, in no particular
   * order. Keys are relative to the root, like the keys given to `put`.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;

  /**
   * The folders directly below `folder` (`''` for the root, otherwise a
   * prefix ending in `/`): the distinct next segment of every key that
   * starts with `folder` and has another `/` after it, each yielded once, in
   * no particular order, across as many backend pages as needed. Objects
   * directly in `folder` are not folders. A folder under which nothing is
   * left may still be yielded (an emptied directory). The engine lists
   * backups with it, so a delimiter listing of the backend beats reading
   * every key; `AbstractBackupProvider` derives it from `list` by default.
   */
  listFolders(folder: string, options?: ListOptions): AsyncIterable<string>;

  /** Removes the object. Removing a missing object succeeds. */
  delete(key: string, options?: CallOptions): Promise<void>;

  /**
   * Removes every object whose key starts with `prefix` (which must not be
   * empty), and whatever interrupted writes below it left hidden where the
   * backend allows (temp files of a crashed process, uncommitted multipart
   * uploads). Used to clear away a failed or cancelled backup. Resolves with
   * the number of objects removed.
   */
  deletePrefix(prefix: string, options?: CallOptions): Promise<number>;

  /** Releases clients and sockets. The instance is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * What a provider package exports as `backupModule`, so that
 * `ENABLE_MODULES=backup-<name>` can enable it from the environment.
 */
export interface ProviderModule {
  /** The backend name, e.g. `s3`; users enable it as `backup-<name>`. */
  readonly name: string;
  /** Builds a provider from environment variables; a missing required one rejects with CONFIG, naming it. */
  fromEnv(env: NodeJS.ProcessEnv): BackupProvider;
  /**
   * Optional: the URL of a module exporting this `backupModule` that a worker
   * thread can import (usually `import.meta.url` of the file declaring it).
   * With it, the engine's worker threads (`BACKUP_WORKER_THREADS`) build
   * their own provider with `fromEnv` from the same environment, and write
   * and read stored bytes themselves: no stored byte crosses the main thread.
   * Declaring it promises that `fromEnv` alone builds a provider that reaches
   * the same storage as the main thread's (no state set up after `fromEnv`),
   * and that two such instances may work at once.
   */
  readonly workerEntry?: string | undefined;
}
