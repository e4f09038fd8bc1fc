import assert from 'node:assert/strict';
import { ErrorCode } from '@backup/core';
import { listKeys, providerTest, rejectsWithCode } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

const AWKWARD_KEYS = [
  'with space/chunk 1',
  'unicode/Straße/日本語/💾',
  'symbols/+=&?#%/a+b=c&d?e#f%g',
  'symbols/percent-%20-encoded',
  'dots/file.tar.gz',
  'dots/.hidden',
];

const TRAVERSALS = ['../escape', 'a/../../escape', '/absolute', 'a//b', 'a/./b', 'trailing/', 'nul\u0000byte', 'tab\tkey', 'back\\slash', ''];

/** Keys with awkward characters work; keys that could escape the root are refused. */
export function keyTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'keys: spaces, unicode and +=&?#% round-trip and list exactly', async (provider) => {
    for (const key of AWKWARD_KEYS) await provider.put(key, key);
    for (const key of AWKWARD_KEYS) assert.equal((await provider.get(key)).toString(), key, `get ${key}`);
    assert.deepEqual(await listKeys(provider, ''), [...AWKWARD_KEYS].sort());
    assert.deepEqual(await listKeys(provider, 'symbols/+=&'), ['symbols/+=&?#%/a+b=c&d?e#f%g']);
  });

  providerTest(options, 'keys: unicode keys are stored in one normal form (NFC)', async (provider) => {
    const decomposed = 'nfc/Cafe\u0301';
    await provider.put(decomposed, 'x');
    assert.equal((await provider.get('nfc/Caf\u00e9')).toString(), 'x');
    assert.deepEqual(await listKeys(provider, 'nfc/'), ['nfc/Caf\u00e9']);
  });

  providerTest(options, 'keys: traversal, absolute, empty-segment and control-character keys are INVALID_ARGUMENT', async (provider) => {
    for (const key of TRAVERSALS) {
      const what = JSON.stringify(key);
      await rejectsWithCode(provider.put(key, 'x'), ErrorCode.INVALID_ARGUMENT, `put ${what}`);
      await rejectsWithCode(provider.write(key, [Buffer.from('x')]), ErrorCode.INVALID_ARGUMENT, `write ${what}`);
      await rejectsWithCode(provider.get(key), ErrorCode.INVALID_ARGUMENT, `get ${what}`);
      await rejectsWithCode(provider.read(key), ErrorCode.INVALID_ARGUMENT, `read ${what}`);
      await rejectsWithCode(provider.delete(key), ErrorCode.INVALID_ARGUMENT, `delete ${what}`);
    }
    await rejectsWithCode(listKeys(provider, '../'), ErrorCode.INVALID_ARGUMENT, 'list "../"');
    await rejectsWithCode(listKeys(provider, '/'), ErrorCode.INVALID_ARGUMENT, 'list "/"');
    assert.deepEqual(await listKeys(provider, ''), [], 'a refused key must not have stored anything');
  });
}
