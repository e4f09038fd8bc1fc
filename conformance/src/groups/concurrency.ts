import assert from 'node:assert/strict';
import { GeneratedBody, listKeys, providerTest, sha256Of } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** Concurrent writes to distinct keys do not interfere. */
export function concurrencyTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'concurrency: parallel writes to distinct keys all land intact', async (provider) => {
    const bodies = Array.from({ length: 12 }, (_, i) => new GeneratedBody(256 * 1024 + i * 97_003));
    const keys = bodies.map((_, i) => `parallel/node1/Collection/chunk-${i}`);
    await Promise.all(bodies.map((body, i) => provider.write(keys[i]!, body)));
    assert.deepEqual(await listKeys(provider, 'parallel/'), [...keys].sort());
    for (const [i, body] of bodies.entries()) {
      const stored = await sha256Of(await provider.read(keys[i]!));
      assert.equal(stored.hash, body.digest(), `${keys[i]} differs from what was written`);
    }
  });

  providerTest(options, 'concurrency: parallel puts and deletes in one folder are consistent', async (provider) => {
    const keys = Array.from({ length: 24 }, (_, i) => `folder/item-${i}`);
    await Promise.all(keys.map((key) => provider.put(key, key)));
    await Promise.all(keys.filter((_, i) => i % 2 === 0).map((key) => provider.delete(key)));
    assert.deepEqual(await listKeys(provider, 'folder/'), keys.filter((_, i) => i % 2 === 1).sort());
  });
}
