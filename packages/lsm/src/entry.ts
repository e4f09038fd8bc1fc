/** The unit every layer passes around: a key with a value, or a tombstone. */

/** `value === null` marks a deletion (a tombstone). */
export interface Entry {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** Orders keys by their bytes, which is UTF-8 code point order for string ids. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
