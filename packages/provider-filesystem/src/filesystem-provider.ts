import { constants, createWriteStream } from 'node:fs';
import { copyFile, open, opendir, readFile, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbstractBackupProvider,
  defineCapabilities,
  type ErrorContext,
  type InternalCallOptions,
  type InternalCopyOptions,
  type InternalReadOptions,
  type InternalWriteOptions,
  type CallOptions,
  type Location,
  type ObjectInfo,
  checkProgressTimeout,
} from '@backup/core/provider';
import { checkConfined, confine, makeDirectories } from './confinement.ts';
import { mapFsError } from './errors.ts';
import { checkRoot, type FilesystemProviderOptions } from './options.ts';
import { isTempName, targetKeyOf, tempPathFor } from './temp-files.ts';

/**
 * Stores backups as plain files below one directory, for single-node setups
 * and tests. Writes are crash-safe: temp file, fsync, rename, fsync directory.
 * `location.path` replaces the root (an absolute directory); `bucket` is ignored.
 * A path override must be the root or below it, or below one of
 * `allowedRoots`, also once symlinks are resolved (`checkLocation`).
 */
export class FilesystemProvider extends AbstractBackupProvider {
  readonly name = 'filesystem';
  readonly capabilities;
  readonly root: string;
  /** Where path overrides may point: the root, then the operator's extra roots. */
  readonly allowedRoots: readonly string[];

  constructor(options: FilesystemProviderOptions) {
    super();
    this.root = checkRoot(options.path, 'the filesystem provider path');
    this.allowedRoots = [this.root, ...(options.allowedRoots ?? []).map((root) => checkRoot(root, 'an allowed root'))];
    this.progressTimeoutMs = checkProgressTimeout(options.progressTimeoutMs, 'progressTimeoutMs');
    this.capabilities = defineCapabilities({
      rangedReads: true,
      abortCleansUp: true,
      multipart: null,
      maxObjectSize: Number.MAX_SAFE_INTEGER,
      listPageSize: options.listPageSize ?? 32,
      serverSideCopy: true,
    });
  }

  homeDir(backupId: string, location?: Location): string {
    // A name to show, not a path to use: no confinement check (every call that does I/O has one).
    return join(location?.path === undefined ? this.root : checkRoot(location.path, 'the Path override'), backupId);
  }

  protected override mapError(error: unknown, context: ErrorContext) {
    return mapFsError(error, context);
  }

  /** Refuses a path override outside the allowed roots (also through `..` or a symlink) or below a file. */
  async checkLocation(location: Location, options: CallOptions = {}): Promise<void> {
    if (location.path === undefined || location.path === '') return;
    checkRoot(location.path, 'the Path override');
    await checkConfined(location.path, this.allowedRoots, options.signal);
  }

  protected override async _initialize(options: InternalCallOptions): Promise<void> {
    await makeDirectories(this.rootFor(options.location));
    await super._initialize(options);
  }

  protected async _put(key: string, data: Buffer, options: InternalCallOptions): Promise<void> {
    await this.writeAtomically(this.pathFor(key, options.location), async (handle) => {
      await handle.writeFile(data);
    });
  }

  protected async _get(key: string, options: InternalCallOptions): Promise<Buffer> {
    return await readFile(this.pathFor(key, options.location), options.signal ? { signal: options.signal } : {});
  }

  protected async _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void> {
    await this.writeAtomically(this.pathFor(key, options.location), async (handle) => {
      const sink = createWriteStream('', { fd: handle.fd, autoClose: false, highWaterMark: 1024 * 1024 });
      await pipeline(body, sink, { signal: options.signal });
    });
  }

  protected async _read(key: string, options: InternalReadOptions): Promise<Readable> {
    const handle = await open(this.pathFor(key, options.location), constants.O_RDONLY);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      const { range } = options;
      const start = range?.offset ?? 0;
      const end = range?.length === undefined ? undefined : start + range.length - 1;
      return handle.createReadStream({ start, ...(end === undefined ? {} : { end }), highWaterMark: 256 * 1024 });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The kernel copies (a reflink where the filesystem has them), into a temp file renamed into place like a write. */
  protected override async _copy(key: string, options: InternalCopyOptions): Promise<void> {
    const source = this.pathFor(key, options.from);
    const info = await stat(source);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    await this.writeAtomically(this.pathFor(key, options.location), async (_handle, temp) => {
      await copyFile(source, temp, constants.COPYFILE_FICLONE);
    });
  }

  protected async _stat(key: string, options: InternalCallOptions): Promise<ObjectInfo> {
    const info = await stat(this.pathFor(key, options.location));
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    return { key, size: info.size, lastModified: info.mtime };
  }

  protected async *_list(prefix: string, options: InternalCallOptions): AsyncIterable<ObjectInfo> {
    const root = this.rootFor(options.location);
    // Start at the deepest directory the prefix names, and walk from there.
    const slash = prefix.lastIndexOf('/');
    const start = slash < 0 ? root : join(root, prefix.slice(0, slash));
    yield* this.walk(root, start, prefix);
  }

  /** The sub-directories of the folder's directory (deletes remove emptied ones). */
  protected override async *_listFolders(folder: string, options: InternalCallOptions): AsyncIterable<string> {
    let entries;
    try {
      entries = await opendir(join(this.rootFor(options.location), ...folder.split('/').filter(Boolean)), {
        bufferSize: this.capabilities.listPageSize,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for await (const entry of entries) if (entry.isDirectory()) yield entry.name;
  }

  protected async _delete(key: string, options: InternalCallOptions): Promise<void> {
    const root = this.rootFor(options.location);
    const path = this.pathFor(key, options.location);
    await unlink(path);
    await removeEmptyParents(dirname(path), root);
  }

  protected override async _purgeLeftovers(prefix: string, options: InternalCallOptions): Promise<void> {
    const root = this.rootFor(options.location);
    const slash = prefix.lastIndexOf('/');
    const start = slash < 0 ? root : join(root, prefix.slice(0, slash));
    for (const path of await this.tempFilesBelow(root, start, prefix)) {
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await removeEmptyParents(dirname(path), root);
    }
  }

  /** Temp files of interrupted writes whose target key starts with `prefix`. */
  private async tempFilesBelow(root: string, directory: string, prefix: string): Promise<string[]> {
    const found: string[] = [];
    let entries;
    try {
      entries = await opendir(directory, { bufferSize: this.capabilities.listPageSize });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return found;
      throw error;
    }
    for await (const entry of entries) {
      const path = join(directory, entry.name);
      const key = relative(root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix)) found.push(...(await this.tempFilesBelow(root, path, prefix)));
      } else if (isTempName(entry.name) && targetKeyOf(key).startsWith(prefix)) {
        found.push(path);
      }
    }
    return found;
  }

  private async *walk(root: string, directory: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await opendir(directory, { bufferSize: this.capabilities.listPageSize });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for await (const entry of entries) {
      const path = join(directory, entry.name);
      const key = relative(root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        // Descend only where keys can still start with the prefix.
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix)) yield* this.walk(root, path, prefix);
      } else if (entry.isFile() && key.startsWith(prefix) && !isTempName(entry.name)) {
        try {
          const info = await stat(path);
          yield { key, size: info.size, lastModified: info.mtime };
        } catch (error) {
          // Deleted between listing and stat: it is simply gone.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    }
  }

  private rootFor(location: Location | undefined): string {
    if (location?.path === undefined) return this.root;
    return confine(checkRoot(location.path, 'the Path override'), this.allowedRoots);
  }

  private pathFor(key: string, location: Location | undefined): string {
    // Keys were validated by core (no '..', no absolute paths), so this stays below the root.
    return join(this.rootFor(location), ...key.split('/'));
  }

  /** Writes through `fill` into a temp file (open as `handle`, at `temp`), syncs it and renames it over `path`. */
  private async writeAtomically(path: string, fill: (handle: FileHandle, temp: string) => Promise<void>): Promise<void> {
    const directory = dirname(path);
    const temp = tempPathFor(path);
    const handle = await openCreatingParents(temp);
    let renamed = false;
    try {
      await fill(handle, temp);
      await handle.sync();
      await handle.close();
      await rename(temp, path);
      renamed = true;
      await syncDirectory(directory);
    } finally {
      if (!renamed) {
        await handle.close().catch(() => {});
        await unlink(temp).catch(() => {});
      }
    }
  }
}

/** Opens a new file, creating its directory; retries once if a concurrent delete pruned the directory. */
async function openCreatingParents(path: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    await makeDirectories(dirname(path));
    try {
      return await open(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
    }
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeEmptyParents(directory: string, root: string): Promise<void> {
  let current = directory;
  while (current.startsWith(root + sep)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
    current = dirname(current);
  }
}
