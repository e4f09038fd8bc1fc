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

  providerTest(options, 'deletePrefix: removes everything under a prefix and nothing beside it', async (provider) => {
    const keys = Array.from({ length: provider.capabilities.listPageSize + 5 }, (_, i) => `failed-backup/node1/Class/chunk-${i}`);
    await Promise.all(keys.map((key) => provider.put(key, key)));
    await provider.put('failed-backup/backup_config.json', '{}');
    await provider.put('failed-backup-2/backup_config.json', '{}');
    assert.equal(await provider.deletePrefix('failed-backup/'), keys.length + 1);
    assert.deepEqual(await listKeys(provider, ''), ['failed-backup-2/backup_config.json']);
    assert.equal(await provider.deletePrefix('failed-backup/'), 0, 'a second call finds nothing');
    if (options.inspect) {
      const leftovers = (await options.inspect(provider)).filter((entry) => entry.includes('failed-backup/'));
      assert.deepEqual(leftovers, [], 'the backend still holds entries under the deleted prefix');
    }
  });

  providerTest(options, 'deletePrefix: refuses the empty prefix', async (provider) => {
    await provider.put('keep-me', 'x');
    await rejectsWithCode(provider.deletePrefix(''), ErrorCode.INVALID_ARGUMENT, 'deletePrefix("")');
    assert.equal(await provider.exists('keep-me'), true);
  });
}
