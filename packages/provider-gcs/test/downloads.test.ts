// Downloads abandoned early must not leave the SDK's stream machinery behind
// to fail later: an unhandled rejection ends a Node process by default.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, test } from 'vitest';
import { ErrorCode } from '@backup/core';
import { emulatorProvider } from './emulator.ts';

const provider = emulatorProvider();
afterAll(() => provider.close());

test('reads aborted before GCS answers end ABORTED, break no other read, and leave no unhandled rejection', async () => {
  await provider.write('aborted-reads/chunk', [Buffer.alloc(2 * 1024 * 1024, 9)]);
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    for (let delay = 0; delay < 60; delay++) {
      // Every other read is left alone: it must complete.
      const controller = new AbortController();
      if (delay % 2 === 0) setTimeout(() => controller.abort(), delay % 4);
      const outcome = await provider
        .read('aborted-reads/chunk', { signal: controller.signal, range: delay % 2 === 0 ? undefined : { offset: 10 } })
        .then(async (stream) => {
          for await (const _chunk of stream);
          return 'completed';
        })
        .catch((error: { code?: string }) => error.code);
      if (delay % 2 === 0) expect([ErrorCode.ABORTED, 'completed']).toContain(outcome);
      else expect(outcome, `read ${delay} was not aborted`).toBe('completed');
    }
    // Whatever the SDK still had in flight has answered by now.
    await sleep(500);
  } finally {
    process.off('unhandledRejection', record);
  }
  expect(unhandled).toEqual([]);
});
