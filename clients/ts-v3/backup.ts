/**
 * The seed's JS/TS client v3 backup samples (`weaviate-client`), one per step:
 *
 *     node backup.ts create|status|cancel|restore|restore-status
 *
 * The server comes from WEAVIATE_HOST / WEAVIATE_PORT / WEAVIATE_GRPC_PORT (the
 * seed's connectToLocal() defaults: localhost, 8080, 50051), the backend from
 * BACKUP_BACKEND (default filesystem), the id from BACKUP_ID (default the
 * seed's). Prints {"result": ...} as one JSON line. `cancel` first prints
 * {"ready": true} and waits for a line on stdin, so a test can cancel a
 * running backup without racing the start-up.
 */
import { createInterface } from 'node:readline';
import weaviate, { type Backend } from 'weaviate-client';

const backupId = process.env.BACKUP_ID ?? 'my-very-first-backup';
const backend = (process.env.BACKUP_BACKEND ?? 'filesystem') as Backend;

async function goSignal(): Promise<void> {
  console.log(JSON.stringify({ ready: true }));
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
}

const step = process.argv[2];
const client = await weaviate.connectToLocal({
  host: process.env.WEAVIATE_HOST ?? 'localhost',
  port: Number(process.env.WEAVIATE_PORT ?? 8080),
  grpcPort: Number(process.env.WEAVIATE_GRPC_PORT ?? 50051),
});
try {
  let result: unknown;
  switch (step) {
    case 'create':
      result = await client.backup.create({
        backupId,
        backend,
        // Optional parameters
        // waitForCompletion: true,
        // includeCollections: ['Article', 'Publication'],
        // excludeCollections: ['Author'],
      });
      break;
    case 'status':
      result = await client.backup.getCreateStatus({
        backupId,
        backend,
      });
      break;
    case 'cancel':
      await goSignal();
      result = await client.backup.cancel({
        backupId,
        backend,
      });
      break;
    case 'restore':
      result = await client.backup.restore({
        backupId,
        backend,
        // Optional parameters
        // waitForCompletion: true,
        // includeCollections: ['Article', 'Publication'],
        // excludeCollections: ['Author'],
      });
      break;
    case 'restore-status':
      result = await client.backup.getRestoreStatus({
        backupId,
        backend,
      });
      break;
    default:
      throw new Error(`unknown step ${JSON.stringify(step)}: create, status, cancel, restore or restore-status`);
  }
  console.log(JSON.stringify({ result }));
} finally {
  await client.close();
}
