/**
 * The write-ahead log of one memtable generation, with group commit.
 *
 * `append()` queues a record synchronously and returns a promise that settles
 * once the record is durable. One writer loop drains the queue: it writes
 * everything queued with one `write()` and makes it durable with one
 * `fdatasync()`; records queued meanwhile form the next group. So concurrent
 * writers share fsyncs, and an acknowledged write is always on disk.
 *
 * The file is created synchronously (`openSync`) so that a memtable swap can
 * happen without yielding to the event loop: writers never see a half-swapped
 * shard.
 */
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ioError } from './errors.ts';
import { syncDirectory } from './fs-util.ts';

function write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, position, (error, written) => (error ? reject(error) : resolve(written))));
}
const fdatasync = promisify(fs.fdatasync);
const close = promisify(fs.close);

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class WalWriter {
  readonly path: string;
  readonly generation: number;
  readonly #fd: number;
  readonly #sync: boolean;
  #queue: Buffer[] = [];
  #waiters: Waiter[] = [];
  #offset = 0;
  #running: Promise<void> | undefined;
  #failed: unknown;
  #closed = false;
  #directorySynced = false;

  private constructor(file: string, generation: number, fd: number, sync: boolean) {
    this.path = file;
    this.generation = generation;
    this.#fd = fd;
    this.#sync = sync;
  }

  /** Creates `wal-<generation>.log` in `dir`, synchronously; fails if it exists. */
  static createSync(dir: string, generation: number, sync: boolean): WalWriter {
    const file = path.join(dir, walFileName(generation));
    try {
      return new WalWriter(file, generation, fs.openSync(file, 'wx'), sync);
    } catch (error) {
      throw ioError(error, `create WAL ${file}`);
    }
  }

  /** Bytes appended so far (durable or not). */
  get bytes(): number {
    return this.#offset + this.#queue.reduce((sum, b) => sum + b.length, 0);
  }

  /** Queues an encoded record; resolves once it is durable. */
  append(record: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(ioError(new Error('WAL is closed'), `append to ${this.path}`));
    if (this.#failed !== undefined) return Promise.reject(ioError(this.#failed, `append to ${this.path}`));
    this.#queue.push(record);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#running ??= this.#drain();
    return done;
  }

  /** Waits for every queued record to be durable, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#running !== undefined) await this.#running;
    await close(this.#fd).catch(() => undefined);
    if (this.#failed !== undefined) throw ioError(this.#failed, `write WAL ${this.path}`);
  }

  async #drain(): Promise<void> {
    // Let every writer of this tick join the group before the first write.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0 && this.#failed === undefined) {
        const group = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue);
        const waiters = this.#waiters;
        this.#queue = [];
        this.#waiters = [];
        try {
          let written = 0;
          while (written < group.length) {
            written += await write(this.#fd, group, written, group.length - written, this.#offset + written);
          }
          this.#offset += group.length;
          if (this.#sync) {
            await fdatasync(this.#fd);
            if (!this.#directorySynced) {
              await syncDirectory(path.dirname(this.path));
              this.#directorySynced = true;
            }
          }
          for (const waiter of waiters) waiter.resolve();
        } catch (error) {
          // The file's tail is now unknown: fail this group and every later append.
          this.#failed = error;
          const wrapped = ioError(error, `write WAL ${this.path}`);
          for (const waiter of [...waiters, ...this.#waiters]) waiter.reject(wrapped);
          this.#waiters = [];
          this.#queue = [];
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}

/** `wal-000007.log` */
export function walFileName(generation: number): string {
  return `wal-${String(generation).padStart(6, '0')}.log`;
}

/** The generation of a WAL file name, or undefined if it is not one. */
export function parseWalFileName(name: string): number | undefined {
  const match = /^wal-(\d{6,})\.log$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}
