import { createHash } from 'node:crypto';
import { BackupError, ErrorCode } from '../errors.ts';
import type { ChunkRecord } from '../format/descriptors.ts';
import { openResumingRead } from '../engine/resuming-read.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../engine/retry.ts';
import { locationOf, type BackupEndpoint } from './endpoint.ts';

/** The CORRUPT error for a chunk whose stored bytes differ from its record. */
export function corruptChunk(chunk: ChunkRecord, where: string, why: string): BackupError {
  return new BackupError(ErrorCode.CORRUPT, `chunk ${chunk.key} at ${where} failed verification: ${why}`);
}

/**
 * Passes the bytes of `input` on unchanged while checking them against the
 * chunk's record. Throws CORRUPT naming the chunk as soon as there are more
 * bytes than recorded, and after the last byte if there are fewer or their
 * sha256 differs: always before the generator returns, so an atomic write fed
 * by it fails instead of committing a damaged object.
 */
export async function* verifiedChunkBytes(input: AsyncIterable<Uint8Array>, chunk: ChunkRecord, where: string): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const bytes of input) {
    size += bytes.byteLength;
    if (size > chunk.size) throw corruptChunk(chunk, where, `more than the recorded ${chunk.size} bytes`);
    hash.update(bytes);
    yield bytes;
  }
  if (size !== chunk.size) throw corruptChunk(chunk, where, `size ${size} bytes, recorded ${chunk.size}`);
  if (hash.digest('hex') !== chunk.sha256) throw corruptChunk(chunk, where, 'sha256 does not match the recorded one');
}

/** What a stored chunk looks like next to its record. */
export type ChunkState =
  | { readonly state: 'ok' }
  | { readonly state: 'missing' }
  | { readonly state: 'size'; readonly actual: number }
  | { readonly state: 'sha256' };

/**
 * Looks at one stored chunk: present, of the recorded size, and (when
 * `hash`) with the recorded sha256. The size comes from `stat`, so a wrong
 * size costs no download. Errors other than a missing object (access, an
 * unreachable backend) are thrown: they say nothing about the chunk.
 */
export async function checkStoredChunk(
  endpoint: BackupEndpoint,
  chunk: ChunkRecord,
  options: {
    readonly hash: boolean;
    readonly signal?: AbortSignal | undefined;
    readonly onBytes?: ((bytes: number) => void) | undefined;
    /** How a read that breaks midway is resumed (default `DEFAULT_RETRY_POLICY`). */
    readonly retry?: RetryPolicy | undefined;
  },
): Promise<ChunkState> {
  const location = locationOf(endpoint);
  const { signal } = options;
  let size: number;
  try {
    size = (await endpoint.provider.stat(chunk.key, { location, signal })).size;
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return { state: 'missing' };
    throw error;
  }
  if (size !== chunk.size) return { state: 'size', actual: size };
  if (!options.hash) return { state: 'ok' };

  const hash = createHash('sha256');
  let read = 0;
  let stream: AsyncIterable<Buffer>;
  try {
    // A read that breaks midway goes on from where it broke (ranged reads), not from byte 0.
    stream = await openResumingRead(endpoint.provider, chunk.key, { location, signal, retry: options.retry ?? DEFAULT_RETRY_POLICY });
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return { state: 'missing' };
    throw error;
  }
  for await (const bytes of stream) {
    read += bytes.byteLength;
    hash.update(bytes);
    options.onBytes?.(bytes.byteLength);
  }
  if (read !== chunk.size) return { state: 'size', actual: read };
  return hash.digest('hex') === chunk.sha256 ? { state: 'ok' } : { state: 'sha256' };
}
