import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BackupError, ErrorCode } from '@backup/core';
import { GeneratedBody, listKeys, providerTest, readAll, rejectsWithCode, sha256Of } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** Streaming writes of unknown length and streaming reads. */
export function streamingTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);
  const size = options.largeObjectSize;
  const mib = (size / (1024 * 1024)).toFixed(0);

  providerTest(options, `streaming: a ${mib} MiB body of unknown length is stored and read back intact`, async (provider) => {
    const body = new GeneratedBody(size);
    const result = await provider.write('large/chunk-1', body);
    assert.equal(result.size, size);
    assert.equal((await provider.stat('large/chunk-1')).size, size);
    const readBack = await sha256Of(await provider.read('large/chunk-1'));
    assert.equal(readBack.size, size);
    assert.equal(readBack.hash, body.digest(), 'sha256 of the stored object differs from what was written');
  });

  providerTest(options, 'streaming: a Node Readable body is accepted', async (provider) => {
    const parts = ['tar ', 'stream ', 'bytes'].map((text) => Buffer.from(text));
    const result = await provider.write('readable/chunk', Readable.from(parts));
    assert.equal(result.size, 16);
    assert.equal((await readAll(await provider.read('readable/chunk'))).toString(), 'tar stream bytes');
  });

  providerTest(options, 'streaming: an empty body stores an empty object', async (provider) => {
    const result = await provider.write('empty-stream', (async function* () {})());
    assert.equal(result.size, 0);
    assert.equal((await provider.stat('empty-stream')).size, 0);
  });

  providerTest(options, 'streaming: write replaces an existing object', async (provider) => {
    await provider.write('replace/chunk', [Buffer.from('old contents')]);
    await provider.write('replace/chunk', [Buffer.from('new')]);
    assert.equal((await provider.get('replace/chunk')).toString(), 'new');
  });

  providerTest(options, 'streaming: a body that fails rejects the write and stores nothing', async (provider) => {
    const failure = new Error('disk on fire');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(256 * 1024, 1);
      throw failure;
    }
    const error = await provider.write('failed/chunk', failing()).then(
      () => assert.fail('the write should have failed'),
      (reason: unknown) => reason,
    );
    assert.ok(BackupError.is(error), 'a failed write rejects with a BackupError');
    assert.notEqual(error.code, ErrorCode.ABORTED);
    assert.equal(error.cause, failure, 'the body error is the cause');
    assert.equal(await provider.exists('failed/chunk'), false);
    assert.deepEqual(await listKeys(provider, 'failed/'), []);
  });

  providerTest(options, 'streaming: a body that yields something other than bytes is refused', async (provider) => {
    const body = (async function* () {
      yield 'not bytes' as unknown as Uint8Array;
    })();
    await rejectsWithCode(provider.write('bad-body', body), ErrorCode.INVALID_ARGUMENT, 'write');
    assert.equal(await provider.exists('bad-body'), false);
  });
}
