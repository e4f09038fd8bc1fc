import { Readable } from 'node:stream';
import type { Bucket, File, Storage } from '@google-cloud/storage';
import {
  AbstractBackupProvider,
  BackupError,
  ErrorCode,
  defineCapabilities,
  joinKey,
  normalizeRootPath,
  rootPrefix,
  folderFromCommonPrefix,
  resolveRoot,
  throwIfAborted,
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
import { createStorage } from './client.ts';
import { mapGcsError } from './errors.ts';
import { CHUNK_GRANULARITY, DEFAULT_CHUNK_SIZE, DEFAULT_LIST_PAGE_SIZE, checkChunkSize, checkListPageSize, type GcsProviderOptions } from './options.ts';
import { openDownload, readWhole } from './download.ts';
import { resumableUpload } from './resumable-upload.ts';

/** The largest object GCS stores. */
const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

/** The bucket and root prefix one call works in. */
interface Target {
  readonly bucket: string;
  readonly root: string;
}

/**
 * Stores backups in a Google Cloud Storage bucket below a root prefix.
 * Large objects stream through resumable uploads (visible only once complete,
 * cancelled on abort); descriptors go up in one request. Reads are streamed,
 * whole reads are checked against the object's CRC32C.
 */
export class GcsProvider extends AbstractBackupProvider {
  readonly name = 'gcs';
  readonly capabilities: ProviderCapabilities;
  /** The SDK client: the injected one, or the one built from the options. */
  readonly storage: Storage;
  /** The configured bucket. */
  readonly bucket: string;
  /** The configured root prefix, without leading or trailing slashes ('' is the bucket's root). */
  readonly root: string;
  private readonly chunkSize: number;

  constructor(options: GcsProviderOptions) {
    super();
    this.bucket = checkBucket(options.bucket);
    this.root = normalizeRootPath(options.path);
    this.chunkSize = checkChunkSize(options.chunkSize ?? DEFAULT_CHUNK_SIZE);
    this.progressTimeoutMs = checkProgressTimeout(options.progressTimeoutMs, 'progressTimeoutMs');
    this.storage = options.storage ?? createStorage(options);
    this.capabilities = defineCapabilities({
      rangedReads: true,
      // A failed upload's session is cancelled with DELETE (best effort).
      abortCleansUp: true,
      multipart:
        this.chunkSize === 0
          ? null
          : {
              partSize: this.chunkSize,
              queueSize: 1, // the chunks of one session go up one after the other
            },
      maxObjectSize: MAX_OBJECT_SIZE,
      listPageSize: checkListPageSize(options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE),
      serverSideCopy: true,
    });
  }

  homeDir(backupId: string, location?: Location): string {
    const { bucket, root } = this.target(location);
    return `gs://${bucket}/${joinKey(root, backupId)}`;
  }

  protected override mapError(error: unknown, context: ErrorContext): BackupError {
    const { bucket, root } = this.target(context.location);
    const key = context.key === undefined ? root : joinKey(root, context.key);
    return mapGcsError(error, context, { bucket, url: `gs://${bucket}/${key}` });
  }

  protected async _put(key: string, data: Buffer, options: InternalCallOptions): Promise<void> {
    const file = this.file(key, options.location);
    if (data.byteLength > Math.max(this.chunkSize, CHUNK_GRANULARITY)) {
      // Not a descriptor after all: resumable, so it is retried chunk by chunk.
      await resumableUpload(file, Readable.from([data]), {
        signal: options.signal ?? new AbortController().signal,
        chunkSize: this.chunkSize,
      });
      return;
    }
    // One request; the SDK resends the buffer if it fails in a retryable way.
    await file.save(data, { resumable: false, contentType: 'application/octet-stream', validation: 'crc32c' });
  }

  protected async _get(key: string, options: InternalCallOptions): Promise<Buffer> {
    return await readWhole(await openDownload(this.file(key, options.location), { validation: 'crc32c' }, options.signal));
  }

  protected async _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void> {
    await resumableUpload(this.file(key, options.location), body, { signal: options.signal, chunkSize: this.chunkSize });
  }

  protected async _read(key: string, options: InternalReadOptions): Promise<Readable> {
    const file = this.file(key, options.location);
    const { range, signal } = options;
    if (range === undefined || (range.offset === 0 && range.length === undefined)) {
      // The whole object, checked against its CRC32C as it streams.
      return await openDownload(file, { validation: 'crc32c' }, signal);
    }
    // Past the end GCS answers 416 and some emulators the whole object:
    // the size decides first. (A missing object rejects here, too.)
    const [metadata] = await file.getMetadata();
    throwIfAborted(signal);
    const size = Number(metadata.size);
    const end = range.length === undefined ? size : Math.min(size, range.offset + range.length);
    if (range.offset >= end) return Readable.from([]);
    // A checksum covers the whole object, so a range cannot be checked.
    return await openDownload(file, { start: range.offset, end: end - 1, validation: false }, signal);
  }

  protected async _stat(key: string, options: InternalCallOptions): Promise<ObjectInfo> {
    const [metadata] = await this.file(key, options.location).getMetadata();
    return { key, size: Number(metadata.size), lastModified: parseDate(metadata.updated) };
  }

  protected async *_list(prefix: string, options: InternalCallOptions): AsyncIterable<ObjectInfo> {
    const { bucket, root } = this.target(options.location);
    const listed = rootPrefix(root);
    const handle = this.storage.bucket(bucket);
    let pageToken: string | undefined;
    do {
      throwIfAborted(options.signal);
      const page = await listPage(handle, { prefix: `${listed}${prefix}`, maxResults: this.capabilities.listPageSize, pageToken });
      for (const file of page.files) {
        const key = file.name.slice(listed.length);
        // "Folder" placeholders that consoles create are not objects of ours.
        if (key === '' || key.endsWith('/')) continue;
        yield { key, size: Number(file.metadata.size), lastModified: parseDate(file.metadata.updated) };
      }
      pageToken = page.pageToken;
    } while (pageToken !== undefined);
  }

  /** A listing with `delimiter: '/'`: the API answers each folder once, as a prefix. */
  protected override async *_listFolders(folder: string, options: InternalCallOptions): AsyncIterable<string> {
    const { bucket, root } = this.target(options.location);
    const prefix = rootPrefix(root) + folder;
    const handle = this.storage.bucket(bucket);
    let pageToken: string | undefined;
    do {
      throwIfAborted(options.signal);
      const page = await listPage(handle, { prefix, delimiter: '/', maxResults: this.capabilities.listPageSize, pageToken });
      for (const common of page.prefixes) {
        const name = folderFromCommonPrefix(common, prefix);
        if (name !== undefined) yield name;
      }
      pageToken = page.pageToken;
    } while (pageToken !== undefined);
  }

  /** objects.rewrite (the SDK follows its rewrite tokens): any size, between any buckets of the project. */
  protected override async _copy(key: string, options: InternalCopyOptions): Promise<void> {
    await this.file(key, options.from).copy(this.file(key, options.location));
  }

  protected async _delete(key: string, options: InternalCallOptions): Promise<void> {
    await this.file(key, options.location).delete({ ignoreNotFound: true });
  }

  private target(location: Location | undefined): Target {
    return {
      bucket: location?.bucket === undefined ? this.bucket : checkBucket(location.bucket),
      root: resolveRoot(location, this.root),
    };
  }

  private file(key: string, location: Location | undefined): File {
    const { bucket, root } = this.target(location);
    return this.storage.bucket(bucket).file(joinKey(root, key));
  }
}

/** One page of a listing: its objects, its folder prefixes (with a delimiter), and the next page's token if any. */
async function listPage(
  bucket: Bucket,
  query: { prefix: string; maxResults: number; pageToken: string | undefined; delimiter?: string },
): Promise<{ files: File[]; prefixes: string[]; pageToken: string | undefined }> {
  const { pageToken, ...rest } = query;
  const [files, next, response] = await bucket.getFiles({ ...rest, autoPaginate: false, ...(pageToken === undefined ? {} : { pageToken }) });
  const token = (next as { pageToken?: string } | null | undefined)?.pageToken;
  return {
    files,
    prefixes: (response as { prefixes?: string[] } | undefined)?.prefixes ?? [],
    pageToken: token === undefined || token === '' ? undefined : token,
  };
}

function checkBucket(bucket: string): string {
  if (typeof bucket !== 'string' || bucket.trim() === '' || bucket.includes('/')) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `gcs: invalid bucket name ${JSON.stringify(bucket)}`);
  }
  return bucket.trim();
}

function parseDate(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}
