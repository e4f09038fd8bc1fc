import { BackupError, ErrorCode, type Router } from '@backup/core';
import type { CollectionSchema } from '@backup/lsm';
import { unprocessable } from '../http/errors.ts';
import { withWeaviateDefaults } from './collection-defaults.ts';
import { parseCollectionSchema } from './collection-schema.ts';
import { requireCollection, type ApiContext } from './context.ts';
import { checkClassName } from './validation.ts';

/** `POST /schema`, `GET /schema`, `GET|DELETE /schema/{class}`. */
export function registerSchemaRoutes(router: Router, context: ApiContext): void {
  const { store } = context;

  router.add('POST', '/schema', async ({ body }) => {
    const collection = await store.createCollection(parseCollectionSchema(body, context.defaultShardCount));
    return { status: 200, body: classJson(collection.schema) };
  });

  router.add('GET', '/schema', async () => {
    const collections = await store.listCollections();
    return { status: 200, body: { classes: collections.map((collection) => classJson(collection.schema)) } };
  });

  router.add('GET', '/schema/{class}', ({ params }) => ({
    status: 200,
    body: classJson(requireCollection(context, params.class!).schema),
  }));

  // Weaviate's add-property endpoint. The same property again is a no-op (200), so a
  // cluster can apply it on every node more than once; another type is refused (422).
  router.add('POST', '/schema/{class}/properties', async ({ params, body }) => {
    const collection = requireCollection(context, params.class!);
    const [property] = parseCollectionSchema({ class: collection.name, properties: [body] }).properties ?? [];
    const existing = collection.schema.properties?.find((candidate) => candidate.name.toLowerCase() === property!.name.toLowerCase());
    if (existing === undefined) {
      await collection.addProperty(property!).catch((error: unknown) => {
        if (!BackupError.is(error, ErrorCode.ALREADY_EXISTS)) throw error;
      });
    }
    const stored = collection.schema.properties?.find((candidate) => candidate.name.toLowerCase() === property!.name.toLowerCase());
    if (stored === undefined || stored.name !== property!.name || JSON.stringify(stored.dataType) !== JSON.stringify(property!.dataType)) {
      throw unprocessable(`class '${collection.name}' already has a property '${stored?.name ?? property!.name}' of another name or type`);
    }
    return { status: 200, body: stored };
  });

  // Weaviate answers 200 whether or not the class existed.
  router.add('DELETE', '/schema/{class}', async ({ params }) => {
    const name = checkClassName(params.class);
    if (store.getCollection(name) !== undefined) {
      await store.deleteCollection(name).catch((error: unknown) => {
        if (store.getCollection(name) !== undefined) throw error;
      });
    }
    return { status: 200 };
  });
}

/** A class as Weaviate shows it: every setting, Weaviate's default where none was given. */
export function classJson(schema: CollectionSchema): CollectionSchema {
  return withWeaviateDefaults(schema);
}
