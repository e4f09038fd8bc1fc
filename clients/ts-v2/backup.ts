/**
 * The seed's JS/TS client v2 backup samples (`weaviate-ts-client`), one per step:
 *
 *     node backup.ts create|status|restore|restore-status
 *
 * The server comes from WEAVIATE_HOST (the seed's localhost:8080), the backend
 * from BACKUP_BACKEND (default filesystem), the id from BACKUP_ID (default the
 * seed's). Prints {"result": ...} as one JSON line. The v2 client has no cancel
 * (the seed shows cancel for Python v4 and TS v3 only).
 */
import weaviateModule, { type Backend, type ConnectionParams, type WeaviateClient } from 'weaviate-ts-client';

// The package's types describe its CommonJS build; under Node's ESM its default export is the
// `app` object the seed calls (`weaviate.client(...)`), so only the type is adjusted here.
const weaviate = weaviateModule as unknown as { client(params: ConnectionParams): WeaviateClient };

const backupId = process.env.BACKUP_ID ?? 'my-very-first-backup';
const backend = (process.env.BACKUP_BACKEND ?? 'filesystem') as Backend;

const client = weaviate.client({
  scheme: 'http',
  host: process.env.WEAVIATE_HOST ?? 'localhost:8080',
});

const step = process.argv[2];
let result: unknown;
switch (step) {
  case 'create':
    result = await client.backup
      .creator()
      .withIncludeClassNames('Article', 'Publication')
      .withBackend(backend)
      .withBackupId(backupId)
      .withWaitForCompletion(true)
      .do();
    break;
  case 'status':
    result = await client.backup.createStatusGetter().withBackend(backend).withBackupId(backupId).do();
    break;
  case 'restore':
    result = await client.backup.restorer().withExcludeClassNames('Article').withBackend(backend).withBackupId(backupId).withWaitForCompletion(true).do();
    break;
  case 'restore-status':
    result = await client.backup.restoreStatusGetter().withBackend(backend).withBackupId(backupId).do();
    break;
  default:
    throw new Error(`unknown step ${JSON.stringify(step)}: create, status, restore or restore-status`);
}
console.log(JSON.stringify({ result }));
