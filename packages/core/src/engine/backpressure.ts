/**
 * tar-stream's packer and extractor are streamx streams, which Node's
 * `pipeline` does not always see finish or fail. We feed them by hand:
 * `write`, and when it returns false wait here for 'drain'.
 */
interface Emitter {
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Resolves on 'drain'; rejects on 'error', 'close' or abort. `stream` is a Node or streamx writable. */
export async function waitForDrain(writable: object, signal?: AbortSignal): Promise<void> {
  const stream = writable as Emitter;
  signal?.throwIfAborted();
  if ((writable as { destroyed?: boolean }).destroyed) throw new Error('the archive stream closed early');
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      signal?.removeEventListener('abort', onAbort);
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onError = (error: unknown): void => settle(error as Error);
    const onClose = (): void => settle(new Error('the archive stream closed early'));
    const onAbort = (): void => settle(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('drain', onDrain);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}
