/**
 * Turns one downloaded chunk back into files: verify its stored bytes,
 * decrypt, decompress, extract (safe-extract's checks), verify every file.
 * The restore twin of `chunk-encoder.ts`; `unpacker.ts` downloads, the
 * worker pool (`chunk-worker-pool.ts`) may run it in a worker thread.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BackupError, ErrorCode, abortError, isAbortLike } from '../errors.ts';
import type { Codec } from '../format/compression-spec.ts';
import type { ChunkRecord } from '../format/descriptors.ts';
import type { Location } from '../provider.ts';
import type { RetryPolicy } from './retry.ts';
import { createChunkDecryptor } from './chunk-cipher.ts';
import { createDecompressor } from './compression.ts';
import { DigestStream } from './digest-stream.ts';
import { extractTar } from './safe-extract.ts';

/**
 * Verifies and extracts the chunks of one job in order and keeps what spans
 * them: the running hash of a split file (see `JobEncoder`, its backup twin).
 * `decode` resolves with the split file's sha256 on its last chunk.
 */
export interface JobDecoder {
  decode(chunk: ChunkRecord, input: Readable, options: DecodeOptions, last: boolean): Promise<string | undefined>;
  /**
   * Present when the decoder has a provider of its own (a worker thread built
   * it, see `ProviderModule.workerEntry`): downloads the chunk itself
   * (`fetchChunk`) and decodes it, so its bytes never come to the caller.
   */
  fetch?(chunk: ChunkRecord, source: ChunkSource, options: DecodeOptions, last: boolean): Promise<string | undefined>;
  commit(): void;
  release(): void;
}

/** Where a chunk is read from. */
export interface ChunkSource {
  readonly location: Location;
  /** Delays of the resumed reads (see resuming-read.ts). */
  readonly retry: RetryPolicy;
}

export interface DecodeOptions {
  readonly codec: Codec;
  readonly directory: string;
  readonly signal: AbortSignal;
  readonly onBytes?: ((bytes: number) => void) | undefined;
  readonly dataKey?: Buffer | undefined;
}

export function inThreadJobDecoder(split: boolean): JobDecoder {
  let committed = split ? createHash('sha256') : undefined;
  let attempt: Hash | undefined;
  return {
    async decode(chunk, input, options, last) {
      attempt = committed?.copy();
      await decodeChunk(chunk, input, options, attempt);
      return last && attempt ? attempt.copy().digest('hex') : undefined;
    },
    commit() {
      committed = attempt;
    },
    release() {},
  };
}

/** The CORRUPT error naming a chunk that failed verification. */
export function corruptChunk(chunk: ChunkRecord, why: string, cause?: unknown): BackupError {
  return new BackupError(ErrorCode.CORRUPT, `chunk ${chunk.key} failed verification: ${why}`, { cause });
}

/**
 * Verifies and extracts one downloaded chunk: every stored byte is hashed on
 * the way in, every entry on the way out (a part of a split file into the
 * file's running hash `wholeFile` only, when it records no sha256 of its own).
 * Any mismatch and any archive damage is CORRUPT naming the chunk; a download
 * that broke off keeps its own error.
 */
export async function decodeChunk(chunk: ChunkRecord, input: Readable, options: DecodeOptions, wholeFile: Hash | undefined): Promise<void> {
  const { signal } = options;
  const corrupt = (why: string, cause?: unknown): BackupError => corruptChunk(chunk, why, cause);
  let next = 0;
  const expect = (name: string, size: number) => {
    const entry = chunk.entries[next++];
    if (!entry) throw corrupt(`unexpected extra entry ${JSON.stringify(name)} (size ${size})`);
    // A part of a split file records no sha256 (format 2.3): the file's running hash verifies
    // it, so it is not hashed twice. Any other entry that is written must record one.
    const hash = entry.sha256 !== undefined;
    if (!hash && !entry.unused && !wholeFile) throw corrupt(`entry ${JSON.stringify(entry.path)} records no sha256`);
    return entry.unused ? { ...entry, skip: true, hash } : { ...entry, hash };
  };
  const digest = new DigestStream();
  let inputError: unknown;
  try {
    // A download that broke off is a transfer failure, not damaged data: keep its error, so
    // that the stream errors it causes downstream ("premature close") are not read as corruption.
    input.once('error', (error: unknown) => (inputError ??= error));
    const decrypt = options.dataKey ? [createChunkDecryptor(options.dataKey, `chunk ${chunk.key}`)] : [];
    const extracted = await extractTar([input, digest, ...decrypt, createDecompressor(options.codec)], options.directory, {
      signal,
      expect,
      // File bytes as extracted (before compression), as a backup counts them.
      onEntryBytes: (_path: string, bytes: Buffer) => {
        wholeFile?.update(bytes);
        options.onBytes?.(bytes.byteLength);
      },
    });
    for (const [index, entry] of extracted.entries()) {
      const recorded = chunk.entries[index];
      if (!recorded || (recorded.sha256 !== undefined && recorded.sha256 !== entry.sha256) || recorded.length !== entry.length) {
        throw corrupt(`content of ${entry.path} does not match its recorded sha256`);
      }
    }
    if (next !== chunk.entries.length) throw corrupt(`${chunk.entries.length - next} entries are missing`);
  } catch (error) {
    if (signal.aborted) throw abortError(signal, `restore of ${chunk.key}`);
    // biome-ignore lint/suspicious/noCatchAssign: the input's error, when there was one, is the cause to report
    if (inputError !== undefined) error = inputError;
    if (BackupError.is(error, ErrorCode.CORRUPT) && error.message.includes(chunk.key)) throw error;
    if (BackupError.is(error) && error.code !== ErrorCode.CORRUPT) {
      if (isAbortLike(error)) throw error;
      throw new BackupError(error.code, `chunk ${chunk.key}: ${error.message}`, { cause: error });
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw corrupt(digestSummary(digest, chunk) ?? detail, error);
  }
  const summary = digestSummary(digest, chunk);
  if (summary) throw corrupt(summary);
}

/** Why the stored bytes differ from the record, or undefined if they match. */
function digestSummary(digest: DigestStream, chunk: ChunkRecord): string | undefined {
  if (!digest.writableFinished) return undefined;
  if (digest.size !== chunk.size) return `size ${digest.size} bytes, recorded ${chunk.size}`;
  if (digest.digest() !== chunk.sha256) return 'sha256 does not match the recorded one';
  return undefined;
}
