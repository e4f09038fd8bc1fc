// The native CRC32C the provider gives the SDK must agree with the SDK's own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { test } from 'vitest';
import { nativeCrc32cGenerator } from '../src/index.ts';

test('the native CRC32C matches the SDK validator, across uneven updates', () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const native = nativeCrc32cGenerator();
  const reference = new CRC32C();
  for (let offset = 0, step = 1; offset < data.length; step++) {
    const piece = data.subarray(offset, offset + ((step * 65_537) % 400_000) + 1);
    native.update(piece);
    reference.update(piece);
    offset += piece.byteLength;
  }
  assert.equal(native.toString(), reference.toString());
  assert.ok(native.validate(reference.toString()));
  assert.ok(!native.validate(new CRC32C().toString()));
});

test('the standard check value: CRC32C("123456789") is 0xE3069283', () => {
  const native = nativeCrc32cGenerator();
  native.update(Buffer.from('123456789'));
  assert.equal(native.toString(), Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
});
