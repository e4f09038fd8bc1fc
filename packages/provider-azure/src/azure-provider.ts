import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential, type BlobDownloadResponseParsed, type ContainerClient } from '@azure/storage-blob';
import {
  AbstractBackupProvider,
  BackupError,
  defineCapabilities,
  ErrorCode,
  joinKey,
  normalizeRootPath,
  folderFromCommonPrefix,
  resolveRoot,
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
import { stageBlocksWith } from './abortable-staging.ts';
import { azureErrorCode, httpStatus, mapAzureError } from './errors.ts';
import {
  AZURE_MAX_BLOCK_SIZE,
  AZURE_MAX_BLOCKS,
  AZURE_MAX_LIST_PAGE_SIZE,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_UPLOAD_CONCURRENCY,
  checkContainer,
  checkCount,
  type AzureProviderOptions,
} from './options.ts';

const MiB = 1024 * 1024;

/**
 * Stores backups as block blobs in one Azure Storage container, below an
 * optional root path. Streaming writes stage blocks and commit the block list
 * at the end, so a blob changes all at once or not at all. `location.bucket`
 * overrides the container and `location.path` the root path, per call.
 */
export class AzureProvider extends AbstractBackupProvider {
  readonly name = 'azure';
  readonly capabilities: ProviderCapabilities;
  /** The client every call goes through. */
  readonly serviceClient: BlobServiceClient;
  /** The configured container. */
  readonly container: string;
  /** The configured root path inside the container, without slashes at either end ('' = root). */
  readonly path: string;
  private readonly blockSize: number;
  private readonly uploadConcurrency: number;
  private readonly anonymous: boolean;

  constructor(options: AzureProviderOptions) {
    super();
    this.container = checkContainer(options.container, 'the container');
    this.path = normalizeRootPath(options.path);
    this.progressTimeoutMs = checkProgressTimeout(options.progressTimeoutMs, 'progressTimeoutMs');
    this.blockSize = checkCount(options.blockSize, DEFAULT_BLOCK_SIZE, AZURE_MAX_BLOCK_SIZE, 'blockSize');
    this.uploadConcurrency = checkCount(options.uploadConcurrency, DEFAULT_UPLOAD_CONCURRENCY, 64, 'uploadConcurrency');
    const listPageSize = checkCount(options.listPageSize, AZURE_MAX_LIST_PAGE_SIZE, AZURE_MAX_LIST_PAGE_SIZE, 'listPageSize');
    this.serviceClient = createServiceClient(options);
    this.anonymous = this.serviceClient.credential instanceof AnonymousCredential;
    this.capabilities = defineCapabilities({
      rangedReads: true,
      // Staged blocks of a failed write stay (invisible) until Azure drops them
      // after 7 days: the API cannot delete uncommitted blocks.
      abortCleansUp: false,
      multipart: {
        partSize: this.blockSize,
        // uploadStream buffers this many blocks, and stages ¾ of them at once.
        queueSize: this.uploadConcurrency,
      },
      maxObjectSize: this.blockSize * AZURE_MAX_BLOCKS,
      listPageSize,
      // Copy Blob inside the account; anonymous access cannot authorise one.
      serverSideCopy: !this.anonymous,
    });
  }

  homeDir(backupId: string, location?: Location): string {
    const url = new URL(this.containerFor(location).url);
    url.search = ''; // never show a SAS token
    return `${url.href.replace(/\/+$/, '')}/${joinKey(this.rootFor(location), backupId)}`;
  }

  protected override mapError(error: unknown, context: ErrorContext): BackupError {
    const container = context.location?.bucket ?? this.container;
    return mapAzureError(error, context, { container, endpoint: this.endpoint(), anonymous: this.anonymous });
  }

  protected async _put(key: string, data: Buffer, options: InternalCallOptions): Promise<void> {
    const blob = this.containerFor(options.location).getBlockBlobClient(this.blobName(key, options.location));
    // With its MD5, Azure refuses a body damaged in transit (Md5Mismatch: IO, retried).
    const transactionalContentMD5 = createHash('md5').update(data).digest();
    await blob.upload(data, data.byteLength, { abortSignal: options.signal, transactionalContentMD5 });
  }

  protected async _get(key: string, options: InternalCallOptions): Promise<Buffer> {
    const blob = this.containerFor(options.location).getBlobClient(this.blobName(key, options.location));
    return await buffer(bodyOf(await blob.download(0, undefined, { abortSignal: options.signal })));
  }

  protected async _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void> {
    const blob = this.containerFor(options.location).getBlockBlobClient(this.blobName(key, options.location));
    // Blocks are staged under random ids and only the final Put Block List
    // makes them the blob's content: until then readers see the old blob.
    // If the body fails or the signal fires (the base class fires it for
    // both), every block request and the commit are cancelled, uploadStream
    // rejects, and the block list is never committed.
    await stageBlocksWith(blob, options.signal).uploadStream(body, this.blockSizeFor(options.sizeHint), this.uploadConcurrency, {
      abortSignal: options.signal,
    });
  }

  protected async _read(key: string, options: InternalReadOptions): Promise<Readable> {
    const blob = this.containerFor(options.location).getBlobClient(this.blobName(key, options.location));
    const offset = options.range?.offset ?? 0;
    try {
      return bodyOf(await blob.download(offset, options.range?.length, { abortSignal: options.signal, maxRetryRequests: 5 }));
    } catch (error) {
      // 416 means the blob exists but starts before `offset`: the contract says that yields nothing.
      if (httpStatus(error) === 416 || azureErrorCode(error) === 'InvalidRange') return Readable.from([]);
      throw error;
    }
  }

  protected async _stat(key: string, options: InternalCallOptions): Promise<ObjectInfo> {
    const blob = this.containerFor(options.location).getBlobClient(this.blobName(key, options.location));
    const properties = await blob.getProperties({ abortSignal: options.signal });
    return { key, size: properties.contentLength ?? 0, lastModified: properties.lastModified };
  }

  protected async *_list(prefix: string, options: InternalCallOptions): AsyncIterable<ObjectInfo> {
    const root = this.rootFor(options.location);
    const strip = root === '' ? 0 : root.length + 1;
    const blobs = this.containerFor(options.location).listBlobsFlat({
      prefix: this.listPrefix(prefix, options.location),
      abortSignal: options.signal,
    });
    for await (const page of blobs.byPage({ maxPageSize: this.capabilities.listPageSize })) {
      for (const item of page.segment.blobItems) {
        yield { key: item.name.slice(strip), size: item.properties.contentLength ?? 0, lastModified: item.properties.lastModified };
      }
    }
  }

  /** `listBlobsByHierarchy('/')`: one entry per virtual directory, not per blob. */
  protected override async *_listFolders(folder: string, options: InternalCallOptions): AsyncIterable<string> {
    const prefix = this.listPrefix(folder, options.location) ?? '';
    const pages = this.containerFor(options.location)
      .listBlobsByHierarchy('/', { ...(prefix === '' ? {} : { prefix }), abortSignal: options.signal })
      .byPage({ maxPageSize: this.capabilities.listPageSize });
    for await (const page of pages) {
      for (const item of page.segment.blobPrefixes ?? []) {
        const name = folderFromCommonPrefix(item.name, prefix);
        if (name !== undefined) yield name;
      }
    }
  }

  /**
   * Copy Blob between containers of the account, authorised by the
   * destination request's shared key. Inside one account Azure completes it
   * before answering; the poller covers a copy that is still pending.
   */
  protected override async _copy(key: string, options: InternalCopyOptions): Promise<void> {
    const source = this.containerFor(options.from).getBlobClient(this.blobName(key, options.from));
    const target = this.containerFor(options.location).getBlobClient(this.blobName(key, options.location));
    const poller = await target.beginCopyFromURL(source.url, { abortSignal: options.signal });
    await poller.pollUntilDone();
  }

  protected async _delete(key: string, options: InternalCallOptions): Promise<void> {
    const blob = this.containerFor(options.location).getBlobClient(this.blobName(key, options.location));
    // A blob with snapshots cannot be deleted alone; they go with it.
    await blob.deleteIfExists({ abortSignal: options.signal, deleteSnapshots: 'include' });
  }

  /**
   * Blocks staged by interrupted writes live on as "uncommitted blobs" that
   * only a listing with `includeUncommitedBlobs` shows. Deleting such a blob
   * drops its staged blocks; `deletePrefix` has already removed the visible
   * ones, so whatever this listing still finds is a leftover.
   */
  protected override async _purgeLeftovers(prefix: string, options: InternalCallOptions): Promise<void> {
    const container = this.containerFor(options.location);
    const listing = container.listBlobsFlat({
      prefix: this.listPrefix(prefix, options.location),
      includeUncommitedBlobs: true,
      abortSignal: options.signal,
    });
    for await (const page of listing.byPage({ maxPageSize: this.capabilities.listPageSize })) {
      await Promise.all(
        page.segment.blobItems.map((item) => container.getBlobClient(item.name).deleteIfExists({ abortSignal: options.signal, deleteSnapshots: 'include' })),
      );
    }
  }

  private containerFor(location: Location | undefined): ContainerClient {
    const name = location?.bucket === undefined ? this.container : checkContainer(location.bucket, 'the Bucket override');
    return this.serviceClient.getContainerClient(name);
  }

  private rootFor(location: Location | undefined): string {
    return resolveRoot(location, this.path);
  }

  private blobName(key: string, location: Location | undefined): string {
    return joinKey(this.rootFor(location), key);
  }

  /** The blob-name prefix for a key prefix; undefined lists the whole container. */
  private listPrefix(prefix: string, location: Location | undefined): string | undefined {
    const root = this.rootFor(location);
    // The root is a folder: "root/" keeps "rootage/..." out of the listing.
    const full = root === '' ? prefix : `${root}/${prefix}`;
    return full === '' ? undefined : full;
  }

  /** Larger blocks when the expected size would not fit in 50,000 of the configured ones. */
  private blockSizeFor(sizeHint: number | undefined): number {
    if (sizeHint === undefined || !Number.isFinite(sizeHint) || sizeHint <= this.blockSize * AZURE_MAX_BLOCKS) return this.blockSize;
    return Math.min(AZURE_MAX_BLOCK_SIZE, Math.ceil(sizeHint / AZURE_MAX_BLOCKS / MiB) * MiB);
  }

  private endpoint(): string {
    const url = new URL(this.serviceClient.url);
    url.search = '';
    return url.href.replace(/\/+$/, '');
  }
}

function createServiceClient(options: AzureProviderOptions): BlobServiceClient {
  if ('serviceClient' in options) return options.serviceClient;
  const pipeline = options.retry === undefined ? {} : { retryOptions: options.retry };
  if ('connectionString' in options) {
    try {
      return BlobServiceClient.fromConnectionString(options.connectionString, pipeline);
    } catch (error) {
      throw new BackupError(ErrorCode.CONFIG, `azure: the connection string is invalid: ${(error as Error).message}`, { cause: error });
    }
  }
  const { accountName, accountKey, blobEndpoint } = options;
  const endpoint = blobEndpoint ?? `https://${accountName}.blob.core.windows.net`;
  const credential = accountKey === undefined || accountKey === '' ? new AnonymousCredential() : new StorageSharedKeyCredential(accountName, accountKey);
  return new BlobServiceClient(endpoint, credential, pipeline);
}

function bodyOf(response: BlobDownloadResponseParsed): Readable {
  const body = response.readableStreamBody;
  if (body === undefined) throw new BackupError(ErrorCode.IO, 'azure: the download answer has no body');
  return body as Readable;
}
