import assert from 'node:assert/strict';
import { ErrorCode, type ProviderCapabilities } from '@backup/core';
import { listKeys, providerTest, rejectsWithCode, stallingBody } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** Cancellation through AbortSignal: nothing half-written is ever visible. */
export function abortTests(input: ProviderConformanceOptions, capabilities: Pick<ProviderCapabilities, 'abortCleansUp' | 'multipart'>): void {
  const options = resolveOptions(input);
  // Past the first part, so a multipart backend has really stored something to clean up.
  const beforeAbort = (capabilities.multipart?.partSize ?? 5 * 1024 * 1024) + 1024 * 1024;

  providerTest(options, 'abort: a write aborted mid-stream rejects with ABORTED and leaves no object', async (provider) => {
    const controller = new AbortController();
    const write = provider.write(
      'aborted/chunk-1',
      stallingBody(beforeAbort, () => controller.abort()),
      {
        signal: controller.signal,
      },
    );
    await rejectsWithCode(write, ErrorCode.ABORTED, 'aborted write');
    assert.equal(await provider.exists('aborted/chunk-1'), false);
    assert.deepEqual(await listKeys(provider, 'aborted/'), []);
  });

  providerTest(options, 'abort: an aborted overwrite keeps the previous object intact', async (provider) => {
    await provider.put('kept/backup.json', 'previous');
    const controller = new AbortController();
    const write = provider.write(
      'kept/backup.json',
      stallingBody(beforeAbort, () => controller.abort()),
      {
        signal: controller.signal,
      },
    );
    await rejectsWithCode(write, ErrorCode.ABORTED, 'aborted overwrite');
    assert.equal((await provider.get('kept/backup.json')).toString(), 'previous');
  });

  providerTest(options, 'abort: a write whose body is stuck waiting ends promptly on abort', async (provider) => {
    const controller = new AbortController();
    let release: () => void = () => {};
    async function* stuck(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1024, 1);
      await new Promise<void>((resolve) => (release = resolve));
    }
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    try {
      await rejectsWithCode(provider.write('stuck/chunk', stuck(), { signal: controller.signal }), ErrorCode.ABORTED, 'stuck write');
      assert.ok(Date.now() - started < 10_000, `the aborted write took ${Date.now() - started} ms to end`);
      assert.equal(await provider.exists('stuck/chunk'), false);
    } finally {
      release();
    }
  });

  providerTest(options, 'abort: a signal that already fired stops every call before it starts', async (provider) => {
    const signal = AbortSignal.abort();
    await rejectsWithCode(provider.put('pre', 'x', { signal }), ErrorCode.ABORTED, 'put');
    await rejectsWithCode(provider.write('pre', [Buffer.from('x')], { signal }), ErrorCode.ABORTED, 'write');
    await rejectsWithCode(provider.get('pre', { signal }), ErrorCode.ABORTED, 'get');
    assert.equal(await provider.exists('pre'), false);
  });

  providerTest(options, 'abort: a read aborted mid-stream ends the stream with ABORTED', async (provider) => {
    await provider.write('readable-abort', [Buffer.alloc(4 * 1024 * 1024, 3)]);
    const controller = new AbortController();
    const stream = await provider.read('readable-abort', { signal: controller.signal });
    const outcome = await (async () => {
      for await (const _chunk of stream) controller.abort();
      return 'completed';
    })().catch((error: unknown) => error);
    assert.notEqual(outcome, 'completed', 'the read should have been aborted');
    assert.equal((outcome as { code?: string }).code, ErrorCode.ABORTED);
  });

  if (capabilities.abortCleansUp && options.inspect) {
    const inspect = options.inspect;
    providerTest(options, 'abort: an aborted write leaves nothing in the backend, not even hidden parts', async (provider) => {
      const controller = new AbortController();
      const write = provider.write(
        'hidden/chunk-1',
        stallingBody(beforeAbort, () => controller.abort()),
        {
          signal: controller.signal,
        },
      );
      await rejectsWithCode(write, ErrorCode.ABORTED, 'aborted write');
      assert.deepEqual(await inspect(provider), [], 'the backend still holds parts of the aborted write');
    });
  }
}
