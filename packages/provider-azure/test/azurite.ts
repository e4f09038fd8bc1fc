// Shared by the test files: the Azurite the global setup started, containers, and raw listings.
import { BlobServiceClient } from '@azure/storage-blob';
import { inject } from 'vitest';
import type { AzuriteCoordinates } from './global-setup.ts';

/** Containers the tests share; every provider instance gets its own path inside them. */
export const TEST_CONTAINER = 'backups';
export const ALTERNATE_CONTAINER = 'backups-elsewhere';

export function azurite(): AzuriteCoordinates {
  return inject('azurite');
}

/** A client with full access, for arranging and inspecting what the provider under test did. */
export function adminClient(): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(azurite().connectionString);
}

export async function ensureContainers(...names: string[]): Promise<void> {
  const client = adminClient();
  for (const name of names) await client.getContainerClient(name).createIfNotExists();
}

/** A path no other test uses: `<stem>-<time>-<random>`. */
export function uniquePath(stem: string): string {
  return `${stem}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Every blob name below `root` in `container`, relative to it, including blobs
 * that only have uncommitted (staged) blocks: Azurite supports
 * `include=uncommittedblobs`, which the provider's own `list` never asks for.
 */
export async function rawBlobs(container: string, root: string): Promise<string[]> {
  const names: string[] = [];
  const listing = adminClient()
    .getContainerClient(container)
    .listBlobsFlat({ prefix: `${root}/`, includeUncommitedBlobs: true });
  for await (const item of listing) names.push(item.name.slice(root.length + 1));
  return names.sort();
}
