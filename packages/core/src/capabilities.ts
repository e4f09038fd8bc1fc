/**
 * What a provider can do, declared once and frozen. Every field has a reader:
 * the engine refuses a ChunkSize above `maxObjectSize` before a backup starts
 * and bounds its memory with `multipart` (see `writeBufferBytes`); the
 * conformance suite decides from the manifest, and from nothing else, which
 * tests apply (`rangedReads`, `abortCleansUp`) and how many keys make a
 * listing page (`listPageSize`).
 */
export interface ProviderCapabilities {
  /**
   * `read` honours `range`. The engine then resumes a whole-object read that
   * broke midway from the first byte not yet seen (`engine/resuming-read.ts`);
   * without it, such a read starts over. The conformance suite checks ranges
   * only where this is true.
   */
  readonly rangedReads: boolean;
  /**
   * An aborted or failed `write` leaves no trace, not even an invisible one
   * (a temp file, an uncommitted multipart upload or block list). False where
   * the backend cannot clean up and the leftovers expire by themselves.
   */
  readonly abortCleansUp: boolean;
  /** Objects are uploaded in parts; `null` for backends that stream one piece. */
  readonly multipart: MultipartLimits | null;
  /** Largest object one `write` can store, in bytes. */
  readonly maxObjectSize: number;
  /**
   * How many keys one request of `list` returns. Providers usually let tests
   * lower it so that paging is exercised with a handful of objects.
   */
  readonly listPageSize: number;
  /** Honours `location.endpoint` (a per-request service endpoint). Default false: such a request is refused. */
  readonly endpointOverride?: boolean;
  /**
   * `copy` copies an object between two locations of this provider inside the
   * backend (S3 CopyObject, GCS rewrite, Azure Copy Blob, a file copy).
   * `copyBackup` then moves a backup between buckets or paths of one provider
   * without streaming it through the node. Default false.
   */
  readonly serverSideCopy?: boolean;
}

/** How a provider buffers one write: up to `partSize × queueSize` bytes in memory. */
export interface MultipartLimits {
  /** Part size this provider uses by default. */
  readonly partSize: number;
  /** Parts this provider uploads at once, per write. */
  readonly queueSize: number;
}

/** Freezes a manifest deeply, so nobody changes what a provider declared. */
export function defineCapabilities(capabilities: ProviderCapabilities): ProviderCapabilities {
  if (capabilities.multipart) Object.freeze(capabilities.multipart);
  return Object.freeze({ ...capabilities });
}

/**
 * The bytes one `write` of this provider holds in memory at most:
 * `multipart.partSize × multipart.queueSize`, or 0 for a provider that
 * streams one piece. The README's memory bound is `pipelines × (≈ 5 MiB + this)`.
 */
export function writeBufferBytes(capabilities: ProviderCapabilities): number {
  return capabilities.multipart === null ? 0 : capabilities.multipart.partSize * capabilities.multipart.queueSize;
}
