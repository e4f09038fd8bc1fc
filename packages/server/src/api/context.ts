import type { Collection, PropertySchema, Store } from '@backup/lsm';
import { HttpError } from '../http/errors.ts';

/** What the data routes share. */
export interface ApiContext {
  readonly store: Store;
  /** Add properties of unknown names to the schema on write, as Weaviate's AUTOSCHEMA_ENABLED does. */
  readonly autoSchema: boolean;
  /** Shards of a new class without `shardingConfig.desiredCount`: 1, or the node count of a cluster (as Weaviate). */
  readonly defaultShardCount?: number;
  /**
   * Called after auto-schema added a property to a class here, before the
   * write goes on; a cluster applies it on every node (a rejection fails the write).
   */
  readonly propertyAdded?: (className: string, property: PropertySchema) => Promise<void>;
}

/** The collection called `name`; `status` (404 for reads by path, 422 for writes naming a class) when absent. */
export function requireCollection(context: ApiContext, name: string, status: 404 | 422 = 404): Collection {
  const collection = context.store.getCollection(name);
  if (collection === undefined) {
    // A read by path answers 404 with an empty body, as Weaviate does; a write naming the class, 422 with a message.
    throw new HttpError(status, `class '${name}' not found in the schema`, { emptyBody: status === 404 });
  }
  return collection;
}
