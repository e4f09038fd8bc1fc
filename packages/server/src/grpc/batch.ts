import type { ApiContext } from '../api/context.ts';
import { parseObjectWrite, writeObject } from '../api/object-write.ts';
import { batchPropertiesToJson, float32s } from './values.ts';
import type { Message } from './message.ts';

/** Objects of one batch written at once, as the REST batch does. */
const BATCH_CONCURRENCY = 32;

/**
 * `weaviate.v1.Weaviate/BatchObjects`: every object is validated and upserted
 * on its own through the same path as `POST /v1/batch/objects`; a bad object
 * becomes an entry of `errors` (its index and message), never a failed call.
 */
export async function batchObjects(context: ApiContext, request: Message): Promise<Message> {
  const started = performance.now();
  const objects = (request.objects ?? []) as Message[];
  const errors: { index: number; error: string }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.length) {
      const index = next++;
      try {
        await writeOne(context, objects[index]!);
      } catch (error) {
        errors.push({ index, error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, objects.length) }, worker));
  errors.sort((a, b) => a.index - b.index);
  return { took: (performance.now() - started) / 1000, errors };
}

async function writeOne(context: ApiContext, object: Message): Promise<void> {
  const properties = object.properties as Message | undefined;
  if ((properties?.single_target_ref_props ?? []).length > 0 || (properties?.multi_target_ref_props ?? []).length > 0) {
    throw new Error('cross-references are not supported by this server');
  }
  const write = parseObjectWrite({
    class: object.collection,
    id: object.uuid === undefined || object.uuid === '' ? undefined : object.uuid,
    properties: batchPropertiesToJson(properties),
    vector: vectorOf(object),
    tenant: object.tenant === '' ? undefined : object.tenant,
  });
  await writeObject(context, write, 'upsert');
}

/** The object's single vector, from whichever field the client used; named and multi-vectors are refused. */
function vectorOf(object: Message): number[] | undefined {
  const bytes = object.vector_bytes as Buffer | undefined;
  if (bytes !== undefined && bytes.length > 0) return float32s(bytes);
  if ((object.vector ?? []).length > 0) return [...(object.vector as number[])];
  const vectors = (object.vectors ?? []) as Message[];
  if (vectors.length === 0) return undefined;
  if (vectors.length > 1 || (vectors[0]!.name !== '' && vectors[0]!.name !== undefined && vectors[0]!.name !== 'default')) {
    throw new Error(`named vectors (${vectors.map((vector) => vector.name).join(', ')}) are not supported by this server: send one unnamed vector`);
  }
  if (vectors[0]!.type === 'VECTOR_TYPE_MULTI_FP32') throw new Error('multi-vectors are not supported by this server');
  return float32s(vectors[0]!.vector_bytes as Buffer);
}
