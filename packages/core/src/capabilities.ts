/**
 * What a provider can do, declared once and frozen. The engine picks strategies
 * from it (part sizes, parallelism, whether to copy server-side) and the
 * conformance suite decides from it, and from nothing else, which tests apply.
 */
export interface ProviderCapabilities {
  /** `read` honours `range`. Without it the engine downloads whole objects. */
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
}

export interface MultipartLimits {
  /** Smallest part the backend accepts (except the last). */
  readonly minPartSize: number;
  /** Largest part the backend accepts. */
  readonly maxPartSize: number;
  /** Most parts one object may have. */
  readonly maxParts: number;
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
