import assert from 'node:assert/strict';
import { ErrorCode } from '@backup/core';
import { listKeys, providerTest, rejectsWithCode } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** delete removes one object and is idempotent. */
export function deletionTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'delete: removes the object and nothing else', async (provider) => {
    await provider.put('del/a', 'a');
    await provider.put('del/b', 'b');
    await provider.delete('del/a');
    await rejectsWithCode(provider.get('del/a'), ErrorCode.NOT_FOUND, 'get after delete');
    assert.equal(await provider.exists('del/a'), false);
    assert.deepEqual(await listKeys(provider, 'del/'), ['del/b']);
    assert.equal((await provider.get('del/b')).toString(), 'b');
  });

  providerTest(options, 'delete: deleting a missing object, or twice, succeeds', async (provider) => {
    await provider.delete('never/written');
    await provider.put('twice', 'x');
    await provider.delete('twice');
    await provider.delete('twice');
    assert.equal(await provider.exists('twice'), false);
  });

  providerTest(options, 'delete: a key can be written again after it was deleted', async (provider) => {
    await provider.put('again/chunk', 'first');
    await provider.delete('again/chunk');
    await provider.put('again/chunk', 'second');
    assert.equal((await provider.get('again/chunk')).toString(), 'second');
  });
}
