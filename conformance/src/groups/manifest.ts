import assert from 'node:assert/strict';
import { ErrorCode, type ProviderCapabilities } from '@backup/core';
import { assertSameBytes, providerTest, readAll, rejectsWithCode } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

const FIELDS = ['abortCleansUp', 'listPageSize', 'maxObjectSize', 'multipart', 'rangedReads'];
/** Fields a provider may leave out (they default to false). */
const OPTIONAL_FIELDS = ['endpointOverride', 'serverSideCopy'];
const MULTIPART_FIELDS = ['partSize', 'queueSize'];

function positiveInteger(value: unknown, what: string): void {
  assert.ok(Number.isSafeInteger(value) && (value as number) > 0, `${what} must be a positive safe integer, got ${String(value)}`);
}

/**
 * The capability manifest: its shape, that it is frozen, that every instance
 * declares what the suite was given, and that the provider does what it
 * declares (a part boundary, the largest part, a full listing page).
 */
export function manifestTests(input: ProviderConformanceOptions, declared: ProviderCapabilities): void {
  const options = resolveOptions(input);

  providerTest(options, 'manifest: has exactly the documented fields, each well-formed, as declared', async (provider) => {
    const manifest = provider.capabilities;
    assert.deepEqual(
      Object.keys(manifest)
        .filter((field) => !OPTIONAL_FIELDS.includes(field))
        .sort(),
      FIELDS,
    );
    for (const field of OPTIONAL_FIELDS) {
      const value = (manifest as unknown as Record<string, unknown>)[field];
      assert.ok(value === undefined || typeof value === 'boolean', `${field} must be a boolean when declared`);
    }
    assert.equal(typeof manifest.rangedReads, 'boolean');
    assert.equal(typeof manifest.abortCleansUp, 'boolean');
    positiveInteger(manifest.maxObjectSize, 'maxObjectSize');
    positiveInteger(manifest.listPageSize, 'listPageSize');
    if (manifest.multipart !== null) {
      assert.deepEqual(Object.keys(manifest.multipart).sort(), MULTIPART_FIELDS);
      positiveInteger(manifest.multipart.partSize, 'multipart.partSize');
      positiveInteger(manifest.multipart.queueSize, 'multipart.queueSize');
      assert.ok(manifest.multipart.partSize <= manifest.maxObjectSize, 'one part must fit in maxObjectSize');
    }
    assert.deepEqual(manifest, declared, 'the instance declares what the suite was given');
  });

  providerTest(options, 'manifest: is frozen, deeply, and the same object on every read', async (provider) => {
    const manifest = provider.capabilities;
    assert.equal(provider.capabilities, manifest);
    assert.ok(Object.isFrozen(manifest), 'capabilities must be frozen (use defineCapabilities)');
    if (manifest.multipart !== null) assert.ok(Object.isFrozen(manifest.multipart), 'capabilities.multipart must be frozen');
    assert.throws(() => {
      (manifest as { listPageSize: number }).listPageSize = 1;
    }, TypeError);
  });

  providerTest(options, 'manifest: a write across a part boundary round-trips; a full listing page is listed', async (provider) => {
    const manifest = provider.capabilities;
    // One byte more than a part (or than 1 MiB for a provider that streams one piece), in uneven pieces.
    const size = (manifest.multipart?.partSize ?? 1024 * 1024) + 1;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
    const pieces = [data.subarray(0, 1000), data.subarray(1000, size - 1), data.subarray(size - 1)];
    const written = await provider.write('parts', pieces, { sizeHint: size });
    assert.equal(written.size, size);
    assert.equal((await provider.stat('parts')).size, size);
    assertSameBytes(await readAll(await provider.read('parts')), data, 'object across a part boundary');

    const keys = Array.from({ length: Math.min(manifest.listPageSize, 50) + 1 }, (_, i) => `page/k${i}`);
    await Promise.all(keys.map((key) => provider.put(key, key)));
    const listed: string[] = [];
    for await (const info of provider.list('page/')) listed.push(info.key);
    assert.deepEqual(listed.sort(), [...keys].sort());
  });

  if (!declared.rangedReads) {
    providerTest(options, 'manifest: without rangedReads, a ranged read is NOT_SUPPORTED', async (provider) => {
      await provider.put('whole', 'whole object');
      await rejectsWithCode(provider.read('whole', { range: { offset: 1, length: 2 } }), ErrorCode.NOT_SUPPORTED, 'a ranged read');
    });
  }
}
