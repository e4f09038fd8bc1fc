import assert from 'node:assert/strict';
import { GeneratedBody, providerTest } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** onProgress reports running totals that end at the bytes written. */
export function progressTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'progress: totals rise monotonically and end at the bytes written', async (provider) => {
    const size = 9 * 1024 * 1024 + 123;
    const seen: number[] = [];
    const result = await provider.write('progress/chunk', new GeneratedBody(size), {
      onProgress: (bytes) => seen.push(bytes),
    });
    assert.ok(seen.length > 1, 'progress should be reported more than once for 9 MiB');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, 'progress totals must increase');
    assert.equal(seen.at(-1), size);
    assert.equal(result.size, size);
    assert.equal((await provider.stat('progress/chunk')).size, size);
  });
}
