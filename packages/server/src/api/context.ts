import type { Collection, Store } from '@backup/lsm';
import { HttpError } from '../http/errors.ts';

/** What the data routes share. */
export interface ApiContext {
  readonly store: Store;
  /** Add properties of unknown names to the schema on write, as Weaviate's AUTOSCHEMA_ENABLED does. */
  readonly autoSchema: boolean;
}

/** The collection called `name`; `status` (404 for reads by path, 422 for writes naming a class) when absent. */
export function requireCollection(context: ApiContext, name: string, status: 404 | 422 = 404): Collection {
  const collection = context.store.getCollection(name);
  if (collection === undefined) throw new HttpError(status, `class '${name}' not found in the schema`);
  return collection;
}
