import assert from 'node:assert/strict';
import { ErrorCode } from '@backup/core';
import { assertSameBytes, providerTest, readAll, rejectsWithCode } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** Ranged reads, for providers whose manifest declares `rangedReads`. */
export function rangeTests(input: ProviderConformanceOptions, capabilities: { rangedReads: boolean }): void {
  if (!capabilities.rangedReads) return;
  const options = resolveOptions(input);
  // 300 KiB + 7 so ranges cross the usual 64/256 KiB stream buffers.
  const data = Buffer.alloc(300 * 1024 + 7);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;

  async function range(provider: import('@backup/core').BackupProvider, offset: number, length?: number): Promise<Buffer> {
    return await readAll(await provider.read('ranged', { range: { offset, length } }));
  }

  providerTest(options, 'ranges: offset and length select exactly those bytes', async (provider) => {
    await provider.write('ranged', [data]);
    assertSameBytes(await range(provider, 0, 10), data.subarray(0, 10), 'range 0, 10');
    assertSameBytes(await range(provider, 70_000, 200_000), data.subarray(70_000, 270_000), 'range 70_000, 200_000');
    assertSameBytes(await range(provider, data.length - 1, 1), data.subarray(data.length - 1), 'range data.length - 1, 1');
  });

  providerTest(options, 'ranges: without a length, reads to the end', async (provider) => {
    await provider.write('ranged', [data]);
    assertSameBytes(await range(provider, 123_456), data.subarray(123_456), 'range 123_456');
  });

  providerTest(options, 'ranges: a length past the end is clipped; an offset past the end yields nothing', async (provider) => {
    await provider.write('ranged', [data]);
    assertSameBytes(await range(provider, data.length - 5, 1000), data.subarray(data.length - 5), 'range data.length - 5, 1000');
    assert.equal((await range(provider, data.length + 10, 5)).byteLength, 0);
    assert.equal((await range(provider, data.length)).byteLength, 0);
    assert.equal((await range(provider, 10, 0)).byteLength, 0);
  });

  providerTest(options, 'ranges: bad ranges are INVALID_ARGUMENT, a missing object NOT_FOUND', async (provider) => {
    await provider.write('ranged', [data]);
    await rejectsWithCode(provider.read('ranged', { range: { offset: -1 } }), ErrorCode.INVALID_ARGUMENT, 'negative offset');
    await rejectsWithCode(provider.read('ranged', { range: { offset: 1.5 } }), ErrorCode.INVALID_ARGUMENT, 'fractional offset');
    await rejectsWithCode(provider.read('ranged', { range: { offset: 0, length: -3 } }), ErrorCode.INVALID_ARGUMENT, 'negative length');
    await rejectsWithCode(provider.read('absent', { range: { offset: 0, length: 10 } }), ErrorCode.NOT_FOUND, 'range of a missing object');
    await rejectsWithCode(provider.read('absent', { range: { offset: 0, length: 0 } }), ErrorCode.NOT_FOUND, 'empty range of a missing object');
  });
}
