/**
 * Downloads one chunk for a decoder: opens it (a missing chunk is CORRUPT
 * naming it), resumes a read that breaks midway with a ranged read from where
 * it broke (providers with `rangedReads`, see resuming-read.ts), so the
 * decoder's hashes and codec state survive it, and ends the download once the
 * decoder has stopped reading. Used by the unpacker in this thread and by a
 * chunk worker that reads with its own provider (chunk-worker.ts).
 */
import { Readable } from 'node:stream';
import { BackupError, ErrorCode, abortError, isAbortLike } from '../errors.ts';
import type { ChunkRecord } from '../format/descriptors.ts';
import type { BackupProvider } from '../provider.ts';
import { corruptChunk, type ChunkSource } from './chunk-decoder.ts';
import { openResumingRead } from './resuming-read.ts';

export async function fetchChunk<T>(
  chunk: ChunkRecord,
  provider: BackupProvider,
  source: ChunkSource,
  signal: AbortSignal,
  decode: (input: Readable) => Promise<T>,
): Promise<T> {
  // Ends the download once the decoder stopped reading (done or failed), even mid-stall.
  const reading = new AbortController();
  const readSignal = AbortSignal.any([signal, reading.signal]);
  let input: Readable;
  try {
    const bytes = await openResumingRead(provider, chunk.key, { location: source.location, signal: readSignal, retry: source.retry });
    input = Readable.from(bytes, { objectMode: false, highWaterMark: 256 * 1024 });
  } catch (error) {
    if (signal.aborted) throw abortError(signal, `restore of ${chunk.key}`);
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) throw corruptChunk(chunk, 'the chunk is missing from the backup', error);
    if (BackupError.is(error) && error.code !== ErrorCode.CORRUPT) {
      if (isAbortLike(error)) throw error;
      throw new BackupError(error.code, `chunk ${chunk.key}: ${error.message}`, { cause: error });
    }
    throw corruptChunk(chunk, error instanceof Error ? error.message : String(error), error);
  }
  // Errors surface through the decoder; once it stopped, a late one has nobody to tell.
  input.on('error', () => {});
  try {
    return await decode(input);
  } finally {
    reading.abort();
  }
}
