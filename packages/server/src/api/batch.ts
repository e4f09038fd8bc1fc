import { errorBody, type Router } from '@backup/core';
import { objectJson, parseObjectWrite, writeObject } from './object-write.ts';
import type { ApiContext } from './context.ts';
import { isJsonObject, requireObjectBody } from './validation.ts';

/** Objects of one batch written at once: enough to share the store's group commits. */
const BATCH_CONCURRENCY = 32;

/**
 * `POST /batch/objects`: every object is validated and written on its own;
 * one bad object fails only its own entry (`result.errors.error[].message`),
 * never the batch. Objects are upserts, as in Weaviate.
 */
export function registerBatchRoutes(router: Router, context: ApiContext): void {
  router.add('POST', '/batch/objects', async ({ body }) => {
    const input = requireObjectBody(body, 'a batch {objects: [...]}');
    if (!Array.isArray(input.objects)) {
      return { status: 422, body: errorBody("a batch needs 'objects': an array of objects") };
    }
    const objects = input.objects as unknown[];
    const results = new Array<unknown>(objects.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < objects.length) {
        const index = next++;
        results[index] = await writeOne(context, objects[index]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, objects.length) }, worker));
    return { status: 200, body: results };
  });
}

async function writeOne(context: ApiContext, raw: unknown): Promise<unknown> {
  try {
    const write = parseObjectWrite(raw);
    const stored = await writeObject(context, write, 'upsert');
    return { ...objectJson(write.className, stored, true), result: {} };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const echo = isJsonObject(raw) ? raw : {};
    return { ...echo, result: { errors: errorBody(message) } };
  }
}
