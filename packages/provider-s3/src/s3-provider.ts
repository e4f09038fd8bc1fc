import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  AbstractBackupProvider,
  BackupError,
  ErrorCode,
  defineCapabilities,
  joinKey,
  rootPrefix,
  folderFromCommonPrefix,
  resolveBucket,
  resolveRoot,
  type ByteRange,
  type ErrorContext,
  type InternalCallOptions,
  type InternalCopyOptions,
  type InternalReadOptions,
  type InternalWriteOptions,
  type Location,
  type ObjectInfo,
  type ProviderCapabilities,
  checkProgressTimeout,
} from '@backup/core/provider';
import { createS3Client, describeEndpoint } from './client.ts';
import { isInvalidRange, mapS3Error } from './errors.ts';
import { resolveS3Options, S3_LIMITS, type ResolvedS3Options, type S3ProviderOptions } from './options.ts';
import { abortLeftoverUploads } from './leftover-uploads.ts';
import { uploadStream } from './upload.ts';

/**
 * Stores backups in an S3 bucket (AWS S3, MinIO, or any S3-compatible
 * service) under a root prefix. Streams of unknown length go up as multipart
 * uploads; a failed or aborted write leaves no parts behind. `location.bucket`
 * and `location.path` override the bucket and root prefix per call.
 */
export class S3Provider extends AbstractBackupProvider {
  readonly name = 's3';
  readonly capabilities: ProviderCapabilities;
  /** The SDK client every call goes through. */
  readonly client: S3Client;
  /** The settings in force, defaults applied. */
  readonly options: ResolvedS3Options;
  readonly #ownsClient: boolean;
  /** The options as given, to build a client for a request's endpoint override. */
  readonly #given: S3ProviderOptions;
  /** Clients of per-request endpoints (Weaviate's `config.Endpoint`), by endpoint. */
  readonly #endpointClients = new Map<string, S3Client>();

  constructor(options: S3ProviderOptions) {
    super();
    this.options = resolveS3Options(options);
    this.progressTimeoutMs = checkProgressTimeout(options.progressTimeoutMs, 'progressTimeoutMs');
    this.client = options.client ?? createS3Client(this.options, this.progressTimeoutMs);
    this.#ownsClient = options.client === undefined;
    this.#given = options;
    const { partSize, queueSize, listPageSize } = this.options;
    this.capabilities = defineCapabilities({
      rangedReads: true,
      abortCleansUp: true,
      multipart: {
        partSize,
        queueSize,
      },
      // What any write can hold without a size hint; a hint grows the parts up to S3's 5 TiB.
      maxObjectSize: Math.min(partSize * S3_LIMITS.maxParts, S3_LIMITS.maxObjectSize),
      listPageSize,
      endpointOverride: true,
      serverSideCopy: true,
    });
  }

  /** The bucket's name (`BACKUP_S3_BUCKET`), as configured. */
  get bucket(): string {
    return this.options.bucket;
  }

  /** `s3://<bucket>/<path>/<backupId>`. */
  homeDir(backupId: string, location?: Location): string {
    return `s3://${this.bucketFor(location)}/${joinKey(this.rootFor(location), backupId)}`;
  }

  protected override mapError(error: unknown, context: ErrorContext) {
    return mapS3Error(error, context, { bucket: this.options.bucket, endpoint: describeEndpoint(this.options) });
  }

  protected async _put(key: string, data: Buffer, options: InternalCallOptions): Promise<void> {
    await this.clientFor(options.location).send(new PutObjectCommand({ ...this.address(key, options.location), Body: data, ContentLength: data.byteLength }), {
      abortSignal: options.signal,
    });
  }

  protected async _get(key: string, options: InternalCallOptions): Promise<Buffer> {
    const output = await this.clientFor(options.location).send(new GetObjectCommand(this.address(key, options.location)), {
      abortSignal: options.signal,
    });
    return output.Body === undefined ? Buffer.alloc(0) : Buffer.from(await output.Body.transformToByteArray());
  }

  protected async _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void> {
    const { Bucket, Key } = this.address(key, options.location);
    await uploadStream(this.clientFor(options.location), {
      bucket: Bucket,
      key: Key,
      body,
      partSize: this.options.partSize,
      queueSize: this.options.queueSize,
      sizeHint: options.sizeHint,
      signal: options.signal,
    });
  }

  protected async _read(key: string, options: InternalReadOptions): Promise<Readable> {
    const command = new GetObjectCommand({ ...this.address(key, options.location), Range: rangeHeader(options.range) });
    try {
      const output = await this.clientFor(options.location).send(command, { abortSignal: options.signal });
      return output.Body === undefined ? Readable.from([]) : (output.Body as Readable);
    } catch (error) {
      // 416: the object exists, and the range starts at or past its end.
      if (options.range !== undefined && isInvalidRange(error)) return Readable.from([]);
      throw error;
    }
  }

  protected async _stat(key: string, options: InternalCallOptions): Promise<ObjectInfo> {
    const output = await this.clientFor(options.location).send(new HeadObjectCommand(this.address(key, options.location)), {
      abortSignal: options.signal,
    });
    return { key, size: output.ContentLength ?? 0, lastModified: output.LastModified };
  }

  protected async *_list(prefix: string, options: InternalCallOptions): AsyncIterable<ObjectInfo> {
    const root = this.rootFor(options.location);
    const base = root === '' ? '' : `${root}/`;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.clientFor(options.location).send(
        new ListObjectsV2Command({
          Bucket: this.bucketFor(options.location),
          Prefix: base + prefix,
          MaxKeys: this.options.listPageSize,
          ContinuationToken,
        }),
        { abortSignal: options.signal },
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(base)) continue;
        yield { key: object.Key.slice(base.length), size: object.Size ?? 0, lastModified: object.LastModified };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  /** ListObjectsV2 with `Delimiter: '/'`: one entry per folder, not per key. */
  protected override async *_listFolders(folder: string, options: InternalCallOptions): AsyncIterable<string> {
    const prefix = rootPrefix(this.rootFor(options.location)) + folder;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.clientFor(options.location).send(
        new ListObjectsV2Command({
          Bucket: this.bucketFor(options.location),
          Prefix: prefix,
          Delimiter: '/',
          MaxKeys: this.options.listPageSize,
          ContinuationToken,
        }),
        { abortSignal: options.signal },
      );
      for (const common of page.CommonPrefixes ?? []) {
        const name = folderFromCommonPrefix(common.Prefix, prefix);
        if (name !== undefined) yield name;
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  /** CopyObject: one request, up to 5 GiB, between buckets of one endpoint. */
  protected override async _copy(key: string, options: InternalCopyOptions): Promise<void> {
    if (this.clientFor(options.from) !== this.clientFor(options.location)) {
      throw new BackupError(ErrorCode.NOT_SUPPORTED, `s3: ${JSON.stringify(key)} cannot be copied between two endpoints inside the service`);
    }
    const source = this.address(key, options.from);
    const { size } = await this._stat(key, { location: options.from, signal: options.signal });
    if (size > S3_LIMITS.maxCopySize) {
      throw new BackupError(ErrorCode.NOT_SUPPORTED, `s3: ${JSON.stringify(key)} (${size} bytes) is larger than one CopyObject copies`);
    }
    const copySource = `${source.Bucket}/${source.Key.split('/').map(encodeURIComponent).join('/')}`;
    await this.clientFor(options.location).send(new CopyObjectCommand({ ...this.address(key, options.location), CopySource: copySource }), {
      abortSignal: options.signal,
    });
  }

  protected async _delete(key: string, options: InternalCallOptions): Promise<void> {
    await this.clientFor(options.location).send(new DeleteObjectCommand(this.address(key, options.location)), { abortSignal: options.signal });
  }

  protected override async _purgeLeftovers(prefix: string, options: InternalCallOptions): Promise<void> {
    const { Bucket, Key } = this.address(prefix, options.location);
    await abortLeftoverUploads(this.clientFor(options.location), Bucket, Key, options.signal);
  }

  protected override async _close(): Promise<void> {
    if (this.#ownsClient) this.client.destroy();
    for (const client of this.#endpointClients.values()) client.destroy();
    this.#endpointClients.clear();
  }

  /** A request's endpoint override must be `host[:port]`; checked before the request is accepted. */
  async checkLocation(location: Location): Promise<void> {
    this.clientFor(location);
  }

  /**
   * The client for `location`: the configured one, or for a request's
   * `endpoint` one with the same settings (credentials, region, TLS) talking to that endpoint.
   */
  private clientFor(location: Location | undefined): S3Client {
    const endpoint = location?.endpoint;
    if (endpoint === undefined || endpoint === '' || endpoint.toLowerCase() === this.options.endpoint) return this.client;
    let client = this.#endpointClients.get(endpoint);
    if (client === undefined) {
      let resolved: ResolvedS3Options;
      try {
        resolved = resolveS3Options({ ...this.#given, endpoint, client: undefined });
      } catch (error) {
        throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid config.Endpoint: ${(error as Error).message}`, { cause: error });
      }
      client = createS3Client(resolved, this.progressTimeoutMs);
      this.#endpointClients.set(endpoint, client);
    }
    return client;
  }

  private bucketFor(location: Location | undefined): string {
    return resolveBucket(location, this.options.bucket);
  }

  private rootFor(location: Location | undefined): string {
    return resolveRoot(location, this.options.path);
  }

  /** Bucket and full object key of `key` (already validated by core), for `location`. */
  private address(key: string, location: Location | undefined): { Bucket: string; Key: string } {
    return { Bucket: this.bucketFor(location), Key: joinKey(this.rootFor(location), key) };
  }
}

/** `bytes=a-b` for a validated, non-empty range (core answers zero-length ranges itself). */
function rangeHeader(range: ByteRange | undefined): string | undefined {
  if (range === undefined) return undefined;
  const end = range.length === undefined ? '' : String(range.offset + range.length - 1);
  return `bytes=${range.offset}-${end}`;
}
