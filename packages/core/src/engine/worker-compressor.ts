/**
 * The compressor chunk worker threads use. zlib's streams run every call on
 * libuv's thread pool at normal priority, beside the server's own file I/O
 * (the store's WAL writes and fsyncs wait in the same queue), so a worker's
 * lowered priority (thread-priority.ts) never reached the codec, which is
 * most of a gzip backup's CPU. For gzip the worker thread itself compresses
 * here: the scheduler then lets the main thread, which answers requests, go
 * first.
 *
 * gzip input is compressed in blocks of {@link BLOCK_BYTES}, each a gzip
 * member of its own. The chunk is then a series of members, which every gzip
 * decoder (ours on every supported Node, `gzip -d`, `pigz -d`) reads as one
 * stream. The cost, measured on the bench's shard files: 0.02 % larger with
 * gzip 6.
 *
 * zstd keeps zlib's stream, one frame per chunk: Node 22.15's zstd stream
 * decoder stops after the first of several concatenated frames (Node 24
 * reads them all), so a backup made on Node 24 would not restore on 22.15.
 * zstd costs a third of gzip's CPU, so the pool matters less there.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { CompressionSpec } from '../format/compression-spec.ts';
import { createCompressor } from './compression.ts';

/** Input per gzip member: long enough that the 32 KiB window hardly notices, short enough to answer a cancel soon. */
export const BLOCK_BYTES = 1024 * 1024;

/** The compressor for a chunk worker: gzip blocks in the calling thread (never use it on a thread that answers requests), otherwise zlib's stream. */
export function createWorkerCompressor(spec: CompressionSpec): Transform {
  if (spec.codec !== 'gzip') return createCompressor(spec);
  const level = spec.level;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let members = 0;
  const compressPending = (): Buffer => {
    members++;
    const block = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return gzipSync(block, { level });
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < BLOCK_BYTES) return callback();
      try {
        callback(null, compressPending());
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      // An empty chunk still gets one (empty) member: its stored bytes must decode.
      if (pendingBytes === 0 && members > 0) return callback();
      try {
        callback(null, compressPending());
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
