/**
 * WAL framing and batch encoding.
 *
 * ```
 * record = u32 payloadLength · u32 crc32(payload) · payload
 * payload = op*   op = u8 bucketNameLength · bucketName · u8 kind (1 put, 0 delete) ·
 *                      u32 keyLength · key · [u32 valueLength · value]
 * ```
 * One record holds one atomic batch (e.g. an object and its vector).
 */
import { crc32 } from 'node:zlib';

export const RECORD_HEADER_BYTES = 8;

/** One change inside a batch; `value === null` deletes `key`. */
export interface Operation {
  readonly bucket: string;
  readonly key: Buffer;
  readonly value: Buffer | null;
}

export function encodeRecord(ops: readonly Operation[]): Buffer {
  let size = RECORD_HEADER_BYTES;
  const names = ops.map((op) => Buffer.from(op.bucket, 'utf8'));
  ops.forEach((op, i) => {
    size += 1 + names[i]!.length + 1 + 4 + op.key.length + (op.value === null ? 0 : 4 + op.value.length);
  });
  const out = Buffer.allocUnsafe(size);
  let at = RECORD_HEADER_BYTES;
  ops.forEach((op, i) => {
    const name = names[i]!;
    at = out.writeUInt8(name.length, at);
    at += name.copy(out, at);
    at = out.writeUInt8(op.value === null ? 0 : 1, at);
    at = out.writeUInt32LE(op.key.length, at);
    at += op.key.copy(out, at);
    if (op.value !== null) {
      at = out.writeUInt32LE(op.value.length, at);
      at += op.value.copy(out, at);
    }
  });
  out.writeUInt32LE(size - RECORD_HEADER_BYTES, 0);
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER_BYTES)), 4);
  return out;
}

/** The outcome of parsing a WAL file: its intact records, and where (if anywhere) it stopped early. */
export interface ParsedWal {
  readonly batches: Operation[][];
  /** Byte offset of the first record that was torn or corrupt; the file length when none was. */
  readonly validBytes: number;
}

/** Parses records until the end or the first torn/corrupt one (a crash's unacknowledged tail). */
export function parseWal(data: Buffer): ParsedWal {
  const batches: Operation[][] = [];
  let at = 0;
  while (at + RECORD_HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(at);
    const checksum = data.readUInt32LE(at + 4);
    const end = at + RECORD_HEADER_BYTES + length;
    if (end > data.length) break;
    const payload = data.subarray(at + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== checksum) break;
    const ops = decodePayload(payload);
    if (ops === undefined) break;
    batches.push(ops);
    at = end;
  }
  return { batches, validBytes: at };
}

function decodePayload(payload: Buffer): Operation[] | undefined {
  const ops: Operation[] = [];
  let at = 0;
  try {
    while (at < payload.length) {
      const nameLength = payload.readUInt8(at);
      const bucket = payload.toString('utf8', at + 1, at + 1 + nameLength);
      at += 1 + nameLength;
      const kind = payload.readUInt8(at);
      const keyLength = payload.readUInt32LE(at + 1);
      at += 5;
      const key = Buffer.from(payload.subarray(at, at + keyLength));
      at += keyLength;
      let value: Buffer | null = null;
      if (kind === 1) {
        const valueLength = payload.readUInt32LE(at);
        at += 4;
        value = Buffer.from(payload.subarray(at, at + valueLength));
        at += valueLength;
      } else if (kind !== 0) {
        return undefined;
      }
      ops.push({ bucket, key, value });
    }
  } catch {
    return undefined;
  }
  return at === payload.length ? ops : undefined;
}
