import type { CollectionSchema } from '@backup/lsm';
import type { Router } from '../http/router.ts';
import { parseCollectionSchema } from './collection-schema.ts';
import { requireCollection, type ApiContext } from './context.ts';
import { checkClassName } from './validation.ts';

/** `POST /schema`, `GET /schema`, `GET|DELETE /schema/{class}`. */
export function registerSchemaRoutes(router: Router, context: ApiContext): void {
  const { store } = context;

  router.add('POST', '/schema', async ({ body }) => {
    const collection = await store.createCollection(parseCollectionSchema(body));
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

/** A class as Weaviate shows it. */
export function classJson(schema: CollectionSchema): CollectionSchema {
  return { ...schema, properties: schema.properties ?? [] };
}
