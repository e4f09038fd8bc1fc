import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { BackupError, ErrorCode, abortError, isAbortLike } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import type { PackJob, PlannedChunk, PlannedEntry } from './chunk-plan.ts';
import { createCompressor, type CompressionSpec } from './compression.ts';
import type { ChunkEntryRecord, ChunkRecord, FileRecord } from './descriptors.ts';
import { DigestStream } from './digest-stream.ts';
import { waitForDrain } from './backpressure.ts';

export interface PackOptions {
  readonly provider: BackupProvider;
  readonly location: Location;
  readonly compression: CompressionSpec;
  /** Directory the snapshot's file paths are relative to. */
  readonly root: string;
  /** Object key of chunk number `index`. */
  readonly keyFor: (index: number) => string;
  readonly signal: AbortSignal;
  /** Called with file bytes as they are packed (before compression). */
  readonly onRawBytes?: ((bytes: number) => void) | undefined;
  /** Called with the key of every chunk once it is stored. */
  readonly onChunkStored?: ((key: string) => void) | undefined;
}

export interface PackedJob {
  readonly chunks: ChunkRecord[];
  readonly files: FileRecord[];
}

// Fixed metadata so that the same files always make the same tar bytes.
const EPOCH = new Date(0);
const READ_BUFFER = 256 * 1024;

/**
 * Packs one job's chunks in order: each chunk is a tar stream of its entries,
 * compressed, hashed and streamed into `provider.write`. Memory is bounded by
 * the stream buffers and the codec's window, never by file or chunk size.
 */
export async function packJob(job: PackJob, options: PackOptions): Promise<PackedJob> {
  const wholeFile = job.splitFile ? createHash('sha256') : undefined;
  const chunks: ChunkRecord[] = [];
  const files: FileRecord[] = [];
  for (const planned of job.chunks) {
    const chunk = await packChunk(planned, options, wholeFile);
    chunks.push(chunk);
    if (!job.splitFile) {
      for (const entry of chunk.entries) {
        const file = planned.entries.find((candidate) => candidate.file.path === entry.path)?.file;
        files.push({ path: entry.path, shard: file?.shard ?? '', size: entry.length, sha256: entry.sha256, chunks: [chunk.key] });
      }
    }
  }
  if (job.splitFile && wholeFile) {
    const { path, shard, size } = job.splitFile;
    files.push({ path, shard, size, sha256: wholeFile.digest('hex'), chunks: chunks.map((chunk) => chunk.key) });
  }
  return { chunks, files };
}

async function packChunk(planned: PlannedChunk, options: PackOptions, wholeFile: Hash | undefined): Promise<ChunkRecord> {
  const { provider, location, signal } = options;
  const key = options.keyFor(planned.index);
  const pack = tar.pack();
  const compressor = createCompressor(options.compression);
  const digest = new DigestStream();
  const entries: ChunkEntryRecord[] = [];

  // Stops this chunk's entry feeding when the upload or the codec fails.
  const local = new AbortController();
  const chunkSignal = AbortSignal.any([signal, local.signal]);
  const stop = (error: unknown): void => {
    if (!local.signal.aborted) local.abort(error);
    if (!pack.destroyed) pack.destroy(); // streamx: no error argument, nobody would listen for it
    for (const stream of [compressor, digest]) if (!stream.destroyed) stream.destroy(error as Error);
  };
  const writing = provider.write(key, digest, { location, signal, sizeHint: planned.rawSize });
  writing.catch(stop);
  const piping = pipeline(Readable.from(pack), compressor, digest);
  piping.catch(stop);
  const feeding = (async () => {
    for (const entry of planned.entries) entries.push(await addEntry(pack, entry, options, chunkSignal, wholeFile));
    pack.finalize();
  })();
  feeding.catch(stop);

  const [written, piped, fed] = await Promise.allSettled([writing, piping, feeding]);
  if (signal.aborted) throw abortError(signal, `upload of ${key}`);
  // The most telling error first: a file that could not be read, then the codec, then the upload.
  for (const result of [fed, piped, written]) {
    if (result.status === 'rejected') throw describeFailure(result.reason, key);
  }
  if (written.status === 'fulfilled' && written.value.size !== digest.size) {
    throw new BackupError(ErrorCode.IO, `upload of ${key} stored ${written.value.size} bytes, expected ${digest.size}`);
  }
  options.onChunkStored?.(key);
  return { key, size: digest.size, sha256: digest.digest(), rawSize: planned.rawSize, entries };
}

async function addEntry(
  pack: tar.Pack,
  entry: PlannedEntry,
  options: PackOptions,
  signal: AbortSignal,
  wholeFile: Hash | undefined,
): Promise<ChunkEntryRecord> {
  const { file, offset, length } = entry;
  const source =
    length === 0
      ? Readable.from([])
      : createReadStream(join(options.root, ...file.path.split('/')), {
          start: offset,
          end: offset + length - 1,
          highWaterMark: READ_BUFFER,
        });
  const hash = createHash('sha256');
  let size = 0;
  let sink: ReturnType<tar.Pack['entry']> | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    sink = pack.entry({ name: file.path, size: length, mode: 0o644, mtime: EPOCH, type: 'file' }, (error) =>
      error ? reject(error) : resolve(),
    );
  });
  finished.catch(() => {}); // observed below; a failed read must not leave it unhandled
  const entrySink = sink as NonNullable<typeof sink>;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      signal.throwIfAborted();
      hash.update(chunk);
      wholeFile?.update(chunk);
      size += chunk.byteLength;
      options.onRawBytes?.(chunk.byteLength);
      if (!entrySink.write(chunk)) await waitForDrain(entrySink, signal);
    }
    entrySink.end(undefined);
    await finished;
  } catch (error) {
    source.destroy();
    entrySink.destroy();
    throw error;
  }
  if (size !== length) {
    throw new BackupError(ErrorCode.IO, `${file.path} changed while it was backed up: read ${size} of ${length} bytes`);
  }
  return { path: file.path, offset, length, sha256: hash.digest('hex') };
}

function describeFailure(error: unknown, key: string): BackupError {
  if (BackupError.is(error)) return error;
  if (isAbortLike(error)) return new BackupError(ErrorCode.ABORTED, `upload of ${key} was aborted`, { cause: error });
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  return new BackupError(code === 'ENOENT' ? ErrorCode.NOT_FOUND : ErrorCode.IO, `packing ${key} failed: ${detail}`, {
    cause: error,
  });
}
