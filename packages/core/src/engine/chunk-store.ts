/**
 * Streams one chunk's encoding into `provider.write` and settles once both
 * sides have: the one place that decides which failure a chunk reports. Used
 * by the packer in this thread and by a chunk worker that writes with its
 * own provider (chunk-worker.ts), so both fail the same way.
 */
import { abortError } from '../errors.ts';
import type { BackupProvider, WriteResult } from '../provider.ts';
import type { ChunkEncoding, ChunkTarget, EncodedChunk, StoredChunk } from './chunk-encoder.ts';

export async function storeEncoding(encoding: ChunkEncoding, provider: BackupProvider, target: ChunkTarget, signal: AbortSignal): Promise<StoredChunk> {
  const { key, location, sizeHint } = target;
  const writing = provider.write(key, encoding.output, { location, signal, sizeHint });
  writing.catch((error: unknown) => encoding.stop(error));
  const [encoded, written] = await Promise.allSettled([encoding.done, writing]);
  if (signal.aborted) throw abortError(signal, `upload of ${key}`);
  // The most telling error first: a file that could not be read or the codec, then the upload.
  for (const result of [encoded, written]) {
    if (result.status === 'rejected') throw result.reason;
  }
  return {
    encoded: (encoded as PromiseFulfilledResult<EncodedChunk>).value,
    written: (written as PromiseFulfilledResult<WriteResult>).value,
  };
}
