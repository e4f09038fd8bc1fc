import assert from 'node:assert/strict';
import { listKeys, providerTest } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** initialize probes access and leaves nothing behind. */
export function initializeTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'initialize: succeeds with working settings and leaves no probe behind', async (provider) => {
    await provider.initialize();
    await provider.initialize();
    assert.deepEqual(await listKeys(provider, ''), []);
    if (options.inspect) assert.deepEqual(await options.inspect(provider), []);
  });

  providerTest(options, 'initialize: works for an override location too', async (provider) => {
    const location = await options.alternateLocation();
    await provider.initialize({ location });
    assert.deepEqual(await listKeys(provider, '', location), []);
  });
}
