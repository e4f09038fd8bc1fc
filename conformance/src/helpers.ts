import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BackupError, type BackupProvider, type ErrorCode } from '@backup/core';
import type { ResolvedOptions } from './options.ts';

/** Registers a test that runs `body` against a fresh provider and closes it afterwards. */
export function providerTest(options: ResolvedOptions, name: string, body: (provider: BackupProvider) => Promise<void>): void {
  options.test(
    name,
    async () => {
      const provider = await options.factory();
      try {
        await body(provider);
      } finally {
        await provider.close();
      }
    },
    options.timeoutMs,
  );
}

/** Asserts that `promise` rejects with a BackupError carrying `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, what = 'the call'): Promise<BackupError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  assert.ok(outcome !== undefined, `${what} should have rejected with ${code}, but it succeeded`);
  assert.ok(BackupError.is(outcome), `${what} should reject with a BackupError, got ${String(outcome)}`);
  assert.equal(outcome.code, code, `${what}: expected ${code}, got ${outcome.code} (${outcome.message})`);
  return outcome;
}

/**
 * Asserts two byte strings are equal without asking assert to diff them
 * (a failing deepEqual of large buffers can take gigabytes to describe).
 */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)) return;
  let first = 0;
  while (first < actual.length && first < expected.length && actual[first] === expected[first]) first++;
  assert.fail(`${what}: got ${actual.length} bytes, expected ${expected.length}; first difference at byte ${first}`);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function sha256Of(stream: Readable): Promise<{ hash: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { hash: hash.digest('hex'), size };
}

export async function listKeys(provider: BackupProvider, prefix: string, location?: { bucket?: string; path?: string }): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of provider.list(prefix, { location })) keys.push(info.key);
  return keys.sort();
}

export async function listFolders(provider: BackupProvider, folder: string, location?: { bucket?: string; path?: string }): Promise<string[]> {
  const names: string[] = [];
  for await (const name of provider.listFolders(folder, { location })) names.push(name);
  return names.sort();
}

/**
 * An endless-looking body of pseudo-random bytes in uneven chunks (1 byte to
 * 1 MiB), so providers see odd boundaries. `digest()` is the sha256 of what
 * was yielded so far.
 */
export class GeneratedBody {
  private readonly pool = randomBytes(1024 * 1024 + 4096);
  private readonly hash = createHash('sha256');
  private readonly size: number;
  yielded = 0;

  constructor(size: number) {
    this.size = size;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    let step = 0;
    while (this.yielded < this.size) {
      step++;
      // Mostly large chunks, now and then a tiny one.
      const wanted = step % 17 === 0 ? 1 + (step % 7) : 64 * 1024 + ((step * 7919) % (960 * 1024));
      const length = Math.min(wanted, this.size - this.yielded);
      const offset = (step * 4093) % 4096;
      const chunk = this.pool.subarray(offset, offset + length);
      this.hash.update(chunk);
      this.yielded += length;
      yield chunk;
    }
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

/** A body that yields `before` bytes, then waits for `gate` and never ends on its own. */
export async function* stallingBody(before: number, onStall: () => void): AsyncGenerator<Uint8Array> {
  const chunk = Buffer.alloc(64 * 1024, 7);
  let sent = 0;
  while (sent < before) {
    yield chunk;
    sent += chunk.byteLength;
  }
  onStall();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    yield chunk;
  }
}

export function uniqueKey(stem: string): string {
  return `${stem}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
