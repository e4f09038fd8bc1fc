import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbstractBackupProvider,
  BackupError,
  defineCapabilities,
  ErrorCode,
  joinKey,
  resolveRoot,
  type ErrorContext,
  type InternalCallOptions,
  type InternalReadOptions,
  type InternalWriteOptions,
  type Location,
  type ObjectInfo,
} from '@backup/core/provider';
import SftpClient from 'ssh2-sftp-client';
import type { SftpProviderOptions } from './options.ts';

// Temp files of writes in flight: `.<name>.backup-tmp-<hex>`, renamed over `<name>` when complete.
const TEMP_FILE = /^\..*\.backup-tmp-[0-9a-f]{12}$/;
const NOT_FOUND_CODES = new Set<unknown>([2, 'ENOENT', 'ENOTDIR']); // SFTP status 2: no such file
const DENIED_CODES = new Set<unknown>([3, 'EACCES', 'ERR_BAD_AUTH']); // SFTP status 3: permission denied
const UNREACHABLE_CODES = new Set<unknown>(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ERR_NOT_CONNECTED']);

/**
 * Backups on any SSH server, over one SFTP connection per instance. A write
 * streams into a temp file beside its object and renames it over the object
 * when complete (OpenSSH's posix-rename), so objects appear whole or not at
 * all. `location.path` overrides the root directory per call; `bucket` is
 * ignored.
 */
export class SftpProvider extends AbstractBackupProvider {
  readonly name = 'sftp';
  readonly capabilities;
  readonly #options: SftpProviderOptions;
  readonly #root: string;
  #connection: Promise<SftpClient> | undefined;

  constructor(options: SftpProviderOptions) {
    super();
    if (!options.path.startsWith('/')) throw new BackupError(ErrorCode.CONFIG, `sftp: path must be absolute, got ${JSON.stringify(options.path)}`);
    this.#options = options;
    this.#root = resolveRoot(undefined, options.path.replace(/^\/+|\/+$/g, ''));
    this.capabilities = defineCapabilities({
      rangedReads: true,
      abortCleansUp: true,
      multipart: null,
      maxObjectSize: Number.MAX_SAFE_INTEGER,
      listPageSize: options.listPageSize ?? 1000,
    });
  }

  homeDir(backupId: string, location?: Location): string {
    const { host, port = 22, username } = this.#options;
    return `sftp://${username}@${host}:${port}${this.#path(backupId, location)}`;
  }

  protected override mapError(error: unknown, context: ErrorContext): BackupError {
    if (BackupError.is(error)) return error;
    const code = (error as { code?: unknown } | null)?.code;
    const detail = error instanceof Error ? error.message : String(error);
    const what = `sftp: ${context.operation}${context.key === undefined ? '' : ` ${JSON.stringify(context.key)}`} on ${this.#options.host}`;
    if (NOT_FOUND_CODES.has(code) || /No such file/i.test(detail)) return new BackupError(ErrorCode.NOT_FOUND, `${what}: not found`, { cause: error });
    if (DENIED_CODES.has(code) || /permission denied|authentication/i.test(detail)) {
      return new BackupError(ErrorCode.ACCESS_DENIED, `${what}: denied; check BACKUP_SFTP_USERNAME, the key and the path's permissions (${detail})`, {
        cause: error,
      });
    }
    if (UNREACHABLE_CODES.has(code)) {
      return new BackupError(ErrorCode.UNAVAILABLE, `${what}: cannot reach the server; check BACKUP_SFTP_HOST and BACKUP_SFTP_PORT (${detail})`, {
        cause: error,
      });
    }
    return new BackupError(ErrorCode.IO, `${what} failed: ${detail}`, { cause: error });
  }

  protected async _put(key: string, data: Buffer, options: InternalCallOptions): Promise<void> {
    await this._write(key, Readable.from([data]), {
      location: options.location,
      signal: options.signal ?? new AbortController().signal,
      sizeHint: data.length,
    });
  }

  protected async _get(key: string, options: InternalCallOptions): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this._read(key, { ...options, range: undefined })) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  protected async _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void> {
    const sftp = await this.#client();
    const target = this.#path(key, options.location);
    const temp = posix.join(posix.dirname(target), `.${posix.basename(target)}.backup-tmp-${randomBytes(6).toString('hex')}`);
    await this.#ensureDirectory(sftp, posix.dirname(target));
    try {
      await pipeline(body, quiet(sftp.createWriteStream(temp)), { signal: options.signal });
      await sftp.posixRename(temp, target);
    } catch (error) {
      await sftp.delete(temp, true).catch(() => {});
      throw error;
    }
  }

  protected async _read(key: string, options: InternalReadOptions): Promise<Readable> {
    const sftp = await this.#client();
    const { size } = await this._stat(key, options);
    const start = options.range?.offset ?? 0;
    if (start >= size) return Readable.from([]);
    const length = options.range?.length;
    const end = length === undefined ? undefined : Math.min(size, start + length) - 1;
    return quiet(sftp.createReadStream(this.#path(key, options.location), { start, ...(end === undefined ? {} : { end }) }) as unknown as Readable);
  }

  protected async _stat(key: string, options: InternalCallOptions): Promise<ObjectInfo> {
    const sftp = await this.#client();
    const stats = await sftp.stat(this.#path(key, options.location));
    if (!stats.isFile) throw new BackupError(ErrorCode.NOT_FOUND, `sftp: ${JSON.stringify(key)} is not an object`);
    return { key, size: stats.size, lastModified: new Date(stats.modifyTime) };
  }

  protected async *_list(prefix: string, options: InternalCallOptions): AsyncIterable<ObjectInfo> {
    for await (const { info, temp } of this.#walk(prefix, options.location)) if (!temp) yield info;
  }

  /** Temp files of writes a killed process left behind, for `deletePrefix`. */
  protected override async _purgeLeftovers(prefix: string, options: InternalCallOptions): Promise<void> {
    const sftp = await this.#client();
    for await (const { info, temp } of this.#walk(prefix, options.location)) if (temp) await sftp.delete(this.#path(info.key, options.location), true);
  }

  /** Every file whose key starts with `prefix`, walking from the deepest directory the prefix names. */
  async *#walk(prefix: string, location: Location | undefined): AsyncIterable<{ info: ObjectInfo; temp: boolean }> {
    const sftp = await this.#client();
    const pending = [prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : ''];
    while (pending.length > 0) {
      const folder = pending.pop()!;
      let entries: SftpClient.FileInfo[];
      try {
        entries = await sftp.list(this.#path(folder, location));
      } catch (error) {
        if (BackupError.is(this.mapError(error, { operation: 'list' }), ErrorCode.NOT_FOUND)) continue;
        throw error;
      }
      for (const entry of entries) {
        const key = folder === '' ? entry.name : `${folder}/${entry.name}`;
        if (entry.type === 'd' && (key.startsWith(prefix) || prefix.startsWith(`${key}/`))) pending.push(key);
        else if (entry.type === '-' && key.startsWith(prefix)) {
          yield { info: { key, size: entry.size, lastModified: new Date(entry.modifyTime) }, temp: TEMP_FILE.test(entry.name) };
        }
      }
    }
  }

  protected async _delete(key: string, options: InternalCallOptions): Promise<void> {
    await (await this.#client()).delete(this.#path(key, options.location), true);
  }

  protected override async _close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) await (await connection.catch(() => undefined))?.end();
  }

  /** The absolute remote path of `key` (`''` for the root) under the call's root. */
  #path(key: string, location: Location | undefined): string {
    const root = location?.path === undefined ? this.#root : resolveRoot(location, this.#root);
    return `/${joinKey(...[root, key].filter((part) => part !== ''))}`;
  }

  /** `mkdir -p` that tolerates a parallel write creating the same directories (the library's recursive mkdir does not). */
  async #ensureDirectory(sftp: SftpClient, path: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await sftp.mkdir(path, true);
        return;
      } catch (error) {
        if ((await sftp.exists(path)) === 'd') return;
        if (attempt === 5) throw error;
      }
    }
  }

  /** One SFTP session per instance, opened on first use; a failed attempt is retried by the next call. */
  #client(): Promise<SftpClient> {
    this.#connection ??= (async () => {
      const client = new SftpClient('backup-provider-sftp');
      const { host, port = 22, username, privateKey, password } = this.#options;
      await client.connect({ host, port, username, privateKey, password, readyTimeout: 10_000 });
      return client;
    })();
    this.#connection.catch(() => {
      this.#connection = undefined;
    });
    return this.#connection;
  }
}

/** A stream of an aborted call can still fail when its handle closes, unread: that must not crash the process. */
function quiet<T extends NodeJS.EventEmitter>(stream: T): T {
  stream.on('error', () => {});
  return stream;
}
