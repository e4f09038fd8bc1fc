import assert from 'node:assert/strict';
import { ErrorCode } from '@backup/core';
import { assertSameBytes, providerTest, rejectsWithCode } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** put/get, overwrite, stat/exists and NOT_FOUND for small objects. */
export function roundTripTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'round trip: get returns exactly what put stored', async (provider) => {
    await provider.put('descriptors/text.json', '{"status":"STARTED"}');
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    await provider.put('descriptors/binary', bytes);
    assert.equal((await provider.get('descriptors/text.json')).toString('utf8'), '{"status":"STARTED"}');
    assertSameBytes(await provider.get('descriptors/binary'), bytes, 'descriptors/binary');
  });

  providerTest(options, 'round trip: put replaces an existing object', async (provider) => {
    await provider.put('overwrite.json', 'first version, longer than the second');
    await provider.put('overwrite.json', 'second');
    assert.equal((await provider.get('overwrite.json')).toString(), 'second');
    assert.equal((await provider.stat('overwrite.json')).size, 6);
  });

  providerTest(options, 'round trip: an empty object is stored and read back', async (provider) => {
    await provider.put('empty', new Uint8Array(0));
    assert.equal((await provider.get('empty')).byteLength, 0);
    assert.equal((await provider.stat('empty')).size, 0);
    assert.equal(await provider.exists('empty'), true);
  });

  providerTest(options, 'round trip: stat and exists describe stored objects', async (provider) => {
    await provider.put('stat/me', 'twelve bytes');
    const info = await provider.stat('stat/me');
    assert.equal(info.key, 'stat/me');
    assert.equal(info.size, 12);
    assert.equal(await provider.exists('stat/me'), true);
    assert.equal(await provider.exists('stat/other'), false);
  });

  providerTest(options, 'not found: get, read and stat of a missing key reject with NOT_FOUND', async (provider) => {
    await rejectsWithCode(provider.get('missing/descriptor.json'), ErrorCode.NOT_FOUND, 'get');
    await rejectsWithCode(provider.read('missing/chunk-1'), ErrorCode.NOT_FOUND, 'read');
    await rejectsWithCode(provider.stat('missing/chunk-1'), ErrorCode.NOT_FOUND, 'stat');
  });

  providerTest(options, 'not found: a key that is only a prefix of other keys is missing', async (provider) => {
    await provider.put('backup/node1/chunk-1', 'x');
    await rejectsWithCode(provider.get('backup/node1'), ErrorCode.NOT_FOUND, 'get of a "directory"');
    assert.equal(await provider.exists('backup/node1'), false);
  });
}
