import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BackupEngine, createBackupApi, providersFromEnv, retryPolicyFromEnv, type BackupApi, type ProviderRegistry } from '@backup/core';
import { Store } from '@backup/lsm';
import { registerBatchRoutes } from './api/batch.ts';
import type { ApiContext } from './api/context.ts';
import { registerMetaRoutes } from './api/meta.ts';
import { registerNodeRoutes } from './api/nodes.ts';
import { registerObjectRoutes } from './api/objects.ts';
import { registerSchemaRoutes } from './api/schema.ts';
import { registerTenantRoutes } from './api/tenants.ts';
import { resolveConfig, type ServerConfig } from './config.ts';
import { createRequestHandler } from './http/handler.ts';
import { Router } from './http/router.ts';

/** Options of {@link startServer}. Each one wins over its environment variable. */
export interface StartServerOptions {
  /** TCP port; `0` picks a free one. Default: `PORT`, else 8080. */
  readonly port?: number;
  /** Interface to listen on. Default: `HOST`, else all interfaces. */
  readonly host?: string;
  /** Where the store keeps its data. Default: `PERSISTENCE_DATA_PATH`, else `./data`. */
  readonly dataPath?: string;
  /** Environment to read the rest of the configuration from (`ENABLE_MODULES`, `BACKUP_*`, `AUTHENTICATION_*`). Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** This node's name. Default: `CLUSTER_HOSTNAME`, else `node1`. */
  readonly nodeName?: string;
  /** Largest accepted request body in bytes. Default: `MAX_REQUEST_BODY_BYTES`, else 32 MiB. */
  readonly maxBodyBytes?: number;
  /** Receives unexpected errors (answered 500) and engine notices. Default: stderr. */
  readonly log?: (message: string) => void;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (the API is under `/v1`). */
  readonly url: string;
  readonly port: number;
  readonly nodeName: string;
  readonly dataPath: string;
  /** Enabled backup backends, e.g. `['filesystem']`. */
  readonly backends: readonly string[];
  /**
   * Stops accepting connections, lets running backups and restores end
   * cleanly (they are aborted and recorded as such), closes the store and
   * the providers. Idempotent.
   */
  close(): Promise<void>;
}

/** How long `close()` lets in-flight requests finish before cutting their connections. */
const DRAIN_MS = 5_000;

/**
 * Starts a node: opens the store under `dataPath`, builds the backup providers
 * from `ENABLE_MODULES`/`BACKUP_*` and the backup engine (which settles
 * operations a previous process left running), then serves the
 * Weaviate-compatible REST API under `/v1`.
 *
 * Rejects with `BackupError` code CONFIG (naming the variable) for bad or
 * missing configuration.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const config = resolveConfig(options.env ?? process.env, options);
  // Configuration errors first: nothing is opened if a variable is missing.
  const retry = retryPolicyFromEnv(config.env);
  const providers = await providersFromEnv(config.env, { importModule: (specifier) => import(specifier) });

  let store: Store | undefined;
  let engine: BackupEngine | undefined;
  try {
    store = await Store.open({ path: config.dataPath, nodeName: config.nodeName, log });
    engine = new BackupEngine({
      source: store,
      providers,
      nodeName: config.nodeName,
      stateDir: join(config.dataPath, '.backup-state'),
      logger: { warn: log, info: log },
      retry,
    });
    await engine.start();
    const state = { closing: false };
    const backupApi = createBackupApi(engine);
    const http = await listen(config, store, engine, backupApi, state, log);
    return running(config, http, store, engine, backupApi, providers, state);
  } catch (error) {
    await engine?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await providers.close().catch(() => undefined);
    throw error;
  }
}

interface LifecycleState {
  closing: boolean;
}

async function listen(
  config: ServerConfig,
  store: Store,
  engine: BackupEngine,
  backupApi: BackupApi,
  state: LifecycleState,
  log: (message: string) => void,
): Promise<Server> {
  let url = '';
  const context: ApiContext = { store, autoSchema: config.autoSchema };
  const router = new Router();
  registerMetaRoutes(router, { hostname: () => url, modules: engine.providers.moduleNames() });
  registerNodeRoutes(router, context);
  registerSchemaRoutes(router, context);
  registerTenantRoutes(router, context);
  registerObjectRoutes(router, context);
  registerBatchRoutes(router, context);

  const handler = createRequestHandler({
    router,
    auth: config.auth,
    maxBodyBytes: config.maxBodyBytes,
    backupApi: () => backupApi,
    isReady: () => !state.closing,
    logError: (error: unknown, request: IncomingMessage) =>
      log(`${request.method} ${request.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  const server = createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  url = baseUrl(server.address() as AddressInfo, config.host);
  return server;
}

function running(
  config: ServerConfig,
  server: Server,
  store: Store,
  engine: BackupEngine,
  backupApi: BackupApi,
  providers: ProviderRegistry,
  state: LifecycleState,
): RunningServer {
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    state.closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    // Running copies and verifications, then backups and restores, end first (recorded as
    // aborted) while the providers are still open, so in-flight status polls still get answers.
    await backupApi.close();
    await engine.close();
    await stopped;
    clearTimeout(cut);
    await store.close();
    await providers.close();
  };
  return {
    url: baseUrl(address, config.host),
    port: address.port,
    nodeName: config.nodeName,
    dataPath: config.dataPath,
    backends: providers.names(),
    close: () => (closed ??= close()),
  };
}

function baseUrl(address: AddressInfo, host: string | undefined): string {
  const shown = host === undefined || host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : address.address;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`;
}
