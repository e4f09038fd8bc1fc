/**
 * `@backup/server`: a runnable node around the reference LSM store, serving a
 * Weaviate-compatible subset of the REST API (collections, tenants, objects,
 * batch) and the backup API of `@backup/core`.
 *
 * @packageDocumentation
 */
export { startServer } from './server.ts';
export type { StartServerOptions, RunningServer } from './server.ts';
export type { LogDestination } from './observe/logger.ts';
export { resolveConfig } from './config.ts';
export type { ServerConfig } from './config.ts';
