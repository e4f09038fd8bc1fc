import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileHandle } from 'node:fs/promises';
import * as tar from 'tar-stream';
import { BackupError, ErrorCode } from '../errors.ts';
import { waitForDrain } from './backpressure.ts';

/** What the caller expects of the next entry; the extractor checks the header against it. */
export interface ExpectedEntry {
  readonly path: string;
  /** Where in the target file the entry's bytes go (non-zero for parts of split files). */
  readonly offset: number;
  readonly length: number;
  /** Read and hash the entry, write nothing (an unused entry of a reused chunk). */
  readonly skip?: boolean | undefined;
  /** False: do not hash the entry (its bytes are verified another way, e.g. as part of a split file). Default true. */
  readonly hash?: boolean | undefined;
}

export interface ExtractedEntry {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
  /** Absent when the entry was not to be hashed (`ExpectedEntry.hash`). */
  readonly sha256?: string | undefined;
}

export interface ExtractOptions {
  readonly signal?: AbortSignal | undefined;
  /**
   * Called with each entry's header before anything is written; returns where
   * its bytes go, or throws to reject the archive. Default: whole files only.
   */
  readonly expect?: ((name: string, size: number) => ExpectedEntry) | undefined;
  /** Extra sinks for each entry's bytes (e.g. a whole file's hash). */
  readonly onEntryBytes?: ((path: string, chunk: Buffer) => void) | undefined;
}

function rejected(name: string, why: string): BackupError {
  return new BackupError(ErrorCode.CORRUPT, `archive entry ${JSON.stringify(name)} rejected: ${why}`);
}

/**
 * Returns the absolute path below `directory` where entry `name` may be
 * written, or throws CORRUPT if it could land anywhere else: absolute names,
 * drive letters, backslashes, empty, '.' or '..' segments, NUL bytes.
 */
export function safeEntryPath(directory: string, name: string): string {
  if (name === '' || name.includes('\0')) throw rejected(name, 'empty name or NUL byte');
  if (name.includes('\\')) throw rejected(name, 'backslashes are not allowed');
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name)) throw rejected(name, 'absolute paths are not allowed');
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw rejected(name, `"${segment}" segments are not allowed`);
  }
  const root = resolve(directory);
  const target = resolve(root, ...name.split('/'));
  const inside = relative(root, target);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || !target.startsWith(root + sep)) {
    throw rejected(name, 'it would land outside the target directory');
  }
  return target;
}

/**
 * Extracts a tar stream below `directory`, refusing (with CORRUPT, before
 * writing it) any entry that is not a regular file or whose name could escape
 * the directory. Symbolic and hard links are never created, files are opened
 * with O_NOFOLLOW, and a part's target must already exist while a whole file
 * must not, so an archive cannot overwrite what it did not create.
 */
export async function extractTar(
  input: Readable | readonly [Readable, ...Duplex[]],
  directory: string,
  options: ExtractOptions = {},
): Promise<ExtractedEntry[]> {
  const extract = tar.extract();
  // Failures reach the caller through the promises below; an 'error' event
  // nobody happens to be listening for at that moment must not crash the process.
  extract.on('error', () => {});
  const results: ExtractedEntry[] = [];
  const streams = Array.isArray(input) ? [...input] : [input as Readable];
  // tar-stream's extractor is a streamx stream: feed it by hand, honouring its backpressure.
  let source: Readable = streams[0] as Readable;
  let upstream: Promise<void> = Promise.resolve();
  if (streams.length > 1) {
    const tail = new PassThrough({ highWaterMark: 64 * 1024 });
    upstream = pipeline([...streams, tail]); // a failure upstream destroys `tail`, failing the feed
    upstream.catch(() => {});
    source = tail;
  }
  let current: { destroy(error?: Error): void } | undefined;
  let inputFailed: (error: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => (inputFailed = reject));
  failure.catch(() => {});
  const piping = feed(source, extract, options.signal)
    .then(() => upstream)
    .catch((error: unknown) => {
      // The extractor does not end the entry being read when its input fails: end it and the
      // extractor, and stop the reader waiting on them (below).
      const reason = error instanceof Error ? error : new Error(String(error));
      current?.destroy(reason);
      extract.destroy(reason);
      inputFailed(error);
      throw error;
    });
  const consuming = (async () => {
    for await (const entry of untilFailure(extract, failure)) {
      current = entry;
      entry.on('error', () => {}); // surfaced by the loop reading it
      const { name, type, size = 0 } = entry.header;
      if (type !== 'file') throw rejected(name, `type "${String(type)}" is not allowed, only regular files`);
      const expected = options.expect ? options.expect(name, size) : { path: name, offset: 0, length: size };
      if (expected.path !== name || expected.length !== size) {
        throw rejected(name, `expected ${JSON.stringify(expected.path)} of ${expected.length} bytes`);
      }
      const hash = expected.hash === false ? undefined : createHash('sha256');
      if (expected.skip) {
        let read = 0;
        for await (const chunk of untilFailure(entry as AsyncIterable<Buffer>, failure)) {
          options.signal?.throwIfAborted();
          hash?.update(chunk);
          read += chunk.byteLength;
        }
        results.push({ path: name, offset: expected.offset, length: read, sha256: hash?.digest('hex') });
        continue;
      }
      const target = safeEntryPath(directory, name);
      await mkdir(dirname(target), { recursive: true });
      const flags =
        expected.offset === 0 ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW : constants.O_WRONLY | constants.O_NOFOLLOW;
      const handle = await open(target, flags, 0o644);
      let written = 0;
      try {
        // Positional writes: parts of a split file land at their offset.
        for await (const chunk of untilFailure(entry as AsyncIterable<Buffer>, failure)) {
          options.signal?.throwIfAborted();
          hash?.update(chunk);
          options.onEntryBytes?.(name, chunk);
          await writeFully(handle, chunk, expected.offset + written);
          written += chunk.byteLength;
        }
      } finally {
        await handle.close();
      }
      results.push({ path: name, offset: expected.offset, length: written, sha256: hash?.digest('hex') });
    }
  })();
  // Destroyed without an error: streamx would emit it with nobody listening.
  consuming.catch(() => extract.destroy());
  const [piped, consumed] = await Promise.allSettled([piping, consuming]);
  if (consumed.status === 'rejected') throw consumed.reason;
  if (piped.status === 'rejected') throw piped.reason;
  return results;
}

/**
 * Yields from `iterable` until `failure` rejects. A streamx iterator can keep
 * waiting after its stream was destroyed while a write into it was pending
 * (seen with a gzip chunk whose flipped byte garbled a tar header): once the
 * input has failed, nothing more will come, so stop waiting for it.
 */
async function* untilFailure<T>(iterable: AsyncIterable<T>, failure: Promise<never>): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  for (;;) {
    const step = await Promise.race([iterator.next(), failure]);
    if (step.done) return;
    yield step.value;
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset, position + offset);
    offset += bytesWritten;
  }
}

async function feed(source: Readable, extract: tar.Extract, signal: AbortSignal | undefined): Promise<void> {
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      if (!extract.write(chunk)) {
        await waitForDrain(extract);
      }
    }
    extract.end(undefined);
  } catch (error) {
    extract.destroy();
    source.destroy();
    throw error;
  }
}
