/**
 * Client-side encryption of chunks: AES-256-GCM, one random 96-bit IV per
 * chunk, under a random data key per node and backup that is wrapped (also
 * AES-256-GCM) by the user's key. Applied at one point of the chunk pipeline:
 * after compression, before the stored bytes are hashed (encode), and after
 * the stored bytes are hashed, before decompression (decode). So descriptors
 * hash what is stored, and copy and verify need no key.
 *
 * Stored chunk layout: IV (12 bytes) | ciphertext | GCM tag (16 bytes).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError, ErrorCode } from '../errors.ts';
import type { EncryptionRecord } from '../format/descriptors.ts';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export function keyFingerprint(userKey: Buffer): string {
  return createHash('sha256').update(userKey).digest('hex').slice(0, 16);
}

/**
 * The user's key from `BACKUP_ENCRYPTION_KEY` (32 bytes as base64 or 64 hex
 * digits) or `BACKUP_ENCRYPTION_KEY_FILE` (a file holding the same);
 * undefined when neither is set (backups are not encrypted).
 */
export function encryptionKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const inline = env.BACKUP_ENCRYPTION_KEY;
  const file = env.BACKUP_ENCRYPTION_KEY_FILE;
  if (inline && file) throw new BackupError(ErrorCode.CONFIG, 'set BACKUP_ENCRYPTION_KEY or BACKUP_ENCRYPTION_KEY_FILE, not both');
  let text = inline;
  if (!text && file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new BackupError(ErrorCode.CONFIG, `BACKUP_ENCRYPTION_KEY_FILE ${file} cannot be read`, { cause: error });
    }
  }
  if (!text) return undefined;
  return parseEncryptionKey(text.trim(), inline ? 'BACKUP_ENCRYPTION_KEY' : 'BACKUP_ENCRYPTION_KEY_FILE');
}

export function parseEncryptionKey(text: string, name = 'the encryption key'): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES || !/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=?)$/.test(text)) {
    throw new BackupError(ErrorCode.CONFIG, `${name} must be 32 bytes, as base64 or 64 hex digits (e.g. openssl rand -base64 32)`);
  }
  return key;
}

/** A fresh data key for one node's part of a backup, and its record. */
export function newDataKey(userKey: Buffer): { dataKey: Buffer; record: EncryptionRecord } {
  const dataKey = randomBytes(KEY_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, userKey, iv);
  const wrapped = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
  return { dataKey, record: { algorithm: 'AES-256-GCM', wrappedKey: wrapped.toString('base64'), keyFingerprint: keyFingerprint(userKey) } };
}

/**
 * The data key of `record`. ENCRYPTION_KEY when no key is configured or it
 * is not the key the backup was made with; CORRUPT when the record is damaged.
 */
export function unwrapDataKey(record: EncryptionRecord, userKey: Buffer | undefined, what: string): Buffer {
  if (!userKey) {
    throw new BackupError(ErrorCode.ENCRYPTION_KEY, `${what} is encrypted: configure its key (BACKUP_ENCRYPTION_KEY or BACKUP_ENCRYPTION_KEY_FILE)`);
  }
  if (record.keyFingerprint !== keyFingerprint(userKey)) {
    throw new BackupError(ErrorCode.ENCRYPTION_KEY, `${what} was encrypted with another key than the one configured`);
  }
  const wrapped = Buffer.from(record.wrappedKey, 'base64');
  if (wrapped.length !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw new BackupError(ErrorCode.CORRUPT, `${what}: the wrapped data key is malformed`);
  try {
    const decipher = createDecipheriv(ALGORITHM, userKey, wrapped.subarray(0, IV_BYTES));
    decipher.setAuthTag(wrapped.subarray(IV_BYTES + KEY_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES)), decipher.final()]);
  } catch (error) {
    throw new BackupError(ErrorCode.ENCRYPTION_KEY, `${what}: the configured key does not open its data key`, { cause: error });
  }
}

/** IV first, then the ciphertext, the tag last. */
export function createChunkEncryptor(dataKey: Buffer): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher: CipherGCM = createCipheriv(ALGORITHM, dataKey, iv);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!started) {
        started = true;
        this.push(iv);
      }
      callback(null, cipher.update(chunk));
    },
    flush(callback: TransformCallback) {
      if (!started) this.push(iv);
      const tail = cipher.final();
      callback(null, Buffer.concat([tail, cipher.getAuthTag()]));
    },
  });
}

/** Reads the IV, holds back the last 16 bytes (the tag) and fails CORRUPT if they do not authenticate the chunk. */
export function createChunkDecryptor(dataKey: Buffer, what: string): Transform {
  let head = Buffer.alloc(0);
  let decipher: DecipherGCM | undefined;
  let held = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let bytes = chunk;
      if (!decipher) {
        head = Buffer.concat([head, bytes]);
        if (head.length < IV_BYTES) return callback();
        decipher = createDecipheriv(ALGORITHM, dataKey, head.subarray(0, IV_BYTES));
        bytes = head.subarray(IV_BYTES);
      }
      const all = Buffer.concat([held, bytes]);
      const cut = Math.max(0, all.length - TAG_BYTES);
      held = all.subarray(cut);
      callback(null, cut > 0 ? decipher.update(all.subarray(0, cut)) : undefined);
    },
    flush(callback: TransformCallback) {
      if (!decipher || held.length !== TAG_BYTES) return callback(new BackupError(ErrorCode.CORRUPT, `${what}: the encrypted chunk is truncated`));
      try {
        decipher.setAuthTag(held);
        callback(null, decipher.final());
      } catch (error) {
        callback(new BackupError(ErrorCode.CORRUPT, `${what}: the encrypted chunk does not authenticate`, { cause: error }));
      }
    },
  });
}
