/**
 * Where things live inside a store folder:
 *
 * ```
 * <root>/collections/<Name>/collection.json   schema, shard names, tenant statuses
 * <root>/collections/<Name>/<shard>/...       one folder per shard (see shard-files.ts)
 * <root>/offloaded/<Name>/<tenant>/...        FROZEN tenants' shard folders
 * <root>/snapshots/<id>/<shard>/...           hard links held by a snapshot until release()
 * <root>/restoring/<id>/<shard>/...           files staged for a restore until commit()
 * <root>/tmp/, <root>/trash/                  collections being created or deleted
 * ```
 * Everything but `collections/` and `offloaded/` is scratch: removed at open.
 * Scratch folders sit on the store's file system so that hard links and the
 * final renames work.
 */
import path from 'node:path';

export const COLLECTION_FILE = 'collection.json';

export class Layout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get collections(): string {
    return path.join(this.root, 'collections');
  }

  collection(name: string): string {
    return path.join(this.collections, name);
  }

  shard(collection: string, shard: string): string {
    return path.join(this.collections, collection, shard);
  }

  offloaded(collection: string, tenant?: string): string {
    const dir = path.join(this.root, 'offloaded', collection);
    return tenant === undefined ? dir : path.join(dir, tenant);
  }

  get offloadedRoot(): string {
    return path.join(this.root, 'offloaded');
  }

  /** Scratch folders, emptied at open. */
  get scratch(): { snapshots: string; restoring: string; tmp: string; trash: string } {
    return {
      snapshots: path.join(this.root, 'snapshots'),
      restoring: path.join(this.root, 'restoring'),
      tmp: path.join(this.root, 'tmp'),
      trash: path.join(this.root, 'trash'),
    };
  }
}
