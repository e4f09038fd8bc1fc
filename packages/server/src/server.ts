import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  BackupEngine,
  BackupEvents,
  LocalParticipant,
  createRedactor,
  secretsFromEnv,
  createBackupApi,
  Router,
  createHttpCluster,
  createParticipantApi,
  isParticipantPath,
  providersFromEnv,
  retryPolicyFromEnv,
  type BackupApi,
  type ParticipantApi,
  type ProviderRegistry,
  encryptionKeyFromEnv,
  workerThreadsMode,
} from '@backup/core';
import { Store, type PropertySchema } from '@backup/lsm';
import { registerBatchRoutes } from './api/batch.ts';
import type { ApiContext } from './api/context.ts';
import { registerMetaRoutes } from './api/meta.ts';
import { registerNodeRoutes } from './api/nodes.ts';
import { registerObjectRoutes } from './api/objects.ts';
import { registerSchemaRoutes } from './api/schema.ts';
import { registerTenantRoutes } from './api/tenants.ts';
import { resolveClusterConfig, type ClusterConfig } from './cluster/cluster-config.ts';
import { participantHandler } from './cluster/participant-mount.ts';
import { INTERNAL_DATA_BASE, Peers } from './cluster/peers.ts';
import { placeShards } from './cluster/placement.ts';
import { registerClusterRoutes } from './cluster/routing.ts';
import { resolveConfig, type ServerConfig } from './config.ts';
import { HttpError } from './http/errors.ts';
import { createBackupMetrics, type BackupMetrics } from './observe/metrics.ts';
import { startMetricsServer, type MetricsServer } from './observe/metrics-server.ts';
import { createLogger, type LogDestination } from './observe/logger.ts';
import { logOperations } from './observe/operation-log.ts';
import { createRequestHandler } from './http/handler.ts';
import { startGrpcServer, type RunningGrpcServer } from './grpc/grpc-server.ts';

/** Options of {@link startServer}. Each one wins over its environment variable. */
export interface StartServerOptions {
  /** TCP port; `0` picks a free one. Default: `PORT`, else 8080. */
  readonly port?: number;
  /** gRPC port; `0` picks a free one. Default: `GRPC_PORT`, else 50051 (a free one when `port` is 0). */
  readonly grpcPort?: number;
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
  /** Receives unexpected errors (answered 500) and engine notices. Default: the structured log, as warnings. */
  readonly log?: (message: string) => void;
  /**
   * Where the structured log (operation lines, and the notices when `log` is
   * not given) is written, one line each, secrets redacted: a stream or a
   * function taking each line. Default: stderr.
   */
  readonly logDestination?: LogDestination;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (the API is under `/v1`). */
  readonly url: string;
  readonly port: number;
  /** The port of the gRPC API (`weaviate.v1.Weaviate`, `grpc.health.v1.Health`), plaintext HTTP/2 on the same interface. */
  readonly grpcPort: number;
  readonly nodeName: string;
  /** Every node of the cluster (this one alone when `CLUSTER_JOIN` names no other). */
  readonly nodes: readonly string[];
  readonly dataPath: string;
  /** Enabled backup backends, e.g. `['filesystem']`. */
  readonly backends: readonly string[];
  /** `http://host:port/metrics` when `PROMETHEUS_MONITORING_ENABLED`, else undefined. */
  readonly metricsUrl: string | undefined;
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
  const config = resolveConfig(options.env ?? process.env, options);
  const redact = createRedactor(secretsFromEnv(config.env));
  const logger = createLogger(config.logging, { node: config.nodeName, redact, destination: options.logDestination ?? process.stderr });
  const log = options.log ?? ((message: string) => logger.warn(message));
  const cluster = resolveClusterConfig(config.env, config.nodeName, config.auth.apiKeys);
  // Configuration errors first: nothing is opened if a variable is missing.
  const retry = retryPolicyFromEnv(config.env);
  const encryptionKey = encryptionKeyFromEnv(config.env); // a malformed key stops the start before anything opens
  const workerThreads = workerThreadsMode(config.env); // BACKUP_WORKER_THREADS: likewise
  const providers = await providersFromEnv(config.env, { importModule: (specifier) => import(specifier) });

  let store: Store | undefined;
  let engine: BackupEngine | undefined;
  let participantApi: ParticipantApi | undefined;
  // One bus for the node: the engine's operations, copies and verifications, and this node's part of
  // every cluster backup (its chunk retries), whoever coordinates.
  const events = new BackupEvents();
  const stopLogging = logOperations(events, logger);
  let metrics: BackupMetrics | undefined;
  let metricsServer: MetricsServer | undefined;
  let grpcServer: RunningGrpcServer | undefined;
  try {
    if (config.metrics.enabled) {
      metrics = createBackupMetrics(events);
      metricsServer = await startMetricsServer(metrics.registry, config.metrics.port, config.host);
    }
    const clustered = cluster.peers.length > 0;
    store = await Store.open({
      path: config.dataPath,
      nodeName: config.nodeName,
      log,
      ...(clustered ? { placeShard: placeShards(cluster.nodes) } : {}),
    });
    // The node's own part of every backup, whether it coordinates or takes part; it retries like the engine.
    const participant = new LocalParticipant({ source: store, providers, node: config.nodeName, retry, events, encryptionKey, workerThreads });
    if (clustered) {
      participantApi = createParticipantApi(participant, {
        secret: cluster.secret!,
        abortAfterMs: cluster.participantTimeoutMs,
        logger: { warn: log },
      });
    }
    engine = new BackupEngine({
      source: store,
      providers,
      nodeName: config.nodeName,
      stateDir: join(config.dataPath, '.backup-state'),
      logger: options.log ? { warn: log, info: log } : { warn: (message) => logger.warn(message), info: (message) => logger.info(message) },
      retry,
      events,
      redact,
      encryptionKey,
      workerThreads,
      ...(clustered ? { cluster: httpCluster(cluster, participant) } : {}),
    });
    await engine.start();
    const state = { closing: false };
    const backupApi = createBackupApi(engine);
    const http = await listen(config, cluster, store, engine, backupApi, participantApi, state, log);
    grpcServer = await startGrpcServer({
      port: config.grpcPort,
      host: config.host,
      context: dataContext(config, cluster, store),
      auth: config.auth,
      maxMessageBytes: config.maxBodyBytes,
      isServing: () => !state.closing,
      clustered: cluster.peers.length > 0,
      logError: log,
    }).catch((error: unknown) => {
      http.close();
      throw error;
    });
    const observers = { metrics, metricsServer, stopLogging };
    return running(config, cluster, http, grpcServer, store, engine, backupApi, participantApi, providers, state, observers);
  } catch (error) {
    await metricsServer?.close().catch(() => undefined);
    metrics?.close();
    stopLogging();
    await participantApi?.close().catch(() => undefined);
    await engine?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await providers.close().catch(() => undefined);
    throw error;
  }
}

/** How often a coordinator asks a node how its part of a backup or restore is going. */
const POLL_INTERVAL_MS = 100;

/** The engine's view of the cluster: this node's participant, and every peer over HTTP. */
function httpCluster(cluster: ClusterConfig, participant: LocalParticipant) {
  const timeout = cluster.participantTimeoutMs;
  return createHttpCluster({
    local: participant,
    peers: Object.fromEntries(cluster.peers.map((peer) => [peer.name, peer.url])),
    secret: cluster.secret!,
    // A peer silent for as long as a participant waits for its coordinator is given up.
    // Status polls are tiny: polling often keeps the coordination time of a backup or restore well under a second.
    pollIntervalMs: POLL_INTERVAL_MS,
    // Each request gets at most half of it (within 1-5 s), so a silent node is given up in about that time.
    ...(timeout !== undefined ? { unreachableAfterMs: timeout, requestTimeoutMs: Math.max(1_000, Math.min(5_000, Math.floor(timeout / 2))) } : {}),
  });
}

interface LifecycleState {
  closing: boolean;
}

async function listen(
  config: ServerConfig,
  cluster: ClusterConfig,
  store: Store,
  engine: BackupEngine,
  backupApi: BackupApi,
  participantApi: ParticipantApi | undefined,
  state: LifecycleState,
  log: (message: string) => void,
): Promise<Server> {
  let url = '';
  const peers = cluster.peers.length > 0 ? new Peers(cluster.peers, cluster.secret!) : undefined;
  const context = dataContext(config, cluster, store, peers);
  const registerLocal = (router: Router): Router => {
    registerMetaRoutes(router, { hostname: () => url, modules: engine.providers.moduleNames() });
    registerNodeRoutes(router, context);
    registerSchemaRoutes(router, context);
    registerTenantRoutes(router, context);
    registerObjectRoutes(router, context);
    registerBatchRoutes(router, context);
    return router;
  };
  const local = registerLocal(new Router());
  // A cluster node answers for the whole cluster: its routing routes come first.
  const router = new Router();
  if (peers !== undefined) registerClusterRoutes(router, { self: config.nodeName, store, peers, local });
  registerLocal(router);

  const logError = (error: unknown, request: IncomingMessage) =>
    log(`${request.method} ${request.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const handler = createRequestHandler({
    router,
    auth: config.auth,
    maxBodyBytes: config.maxBodyBytes,
    backupApi: () => backupApi,
    isReady: () => !state.closing,
    logError,
  });
  // Other nodes reach this one's local-only routes and its participant API with the cluster secret.
  const internal =
    peers !== undefined
      ? createRequestHandler({
          router: local,
          auth: { apiKeys: [cluster.secret!], anonymousAccess: false },
          maxBodyBytes: config.maxBodyBytes,
          isReady: () => !state.closing,
          logError,
          basePath: INTERNAL_DATA_BASE,
        })
      : undefined;
  const participant = participantApi !== undefined ? participantHandler(participantApi, config.maxBodyBytes, logError) : undefined;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (internal !== undefined && (path === INTERNAL_DATA_BASE || path.startsWith(`${INTERNAL_DATA_BASE}/`))) {
      return void internal(request, response);
    }
    if (participant !== undefined && isParticipantPath(path)) return void participant(request, response);
    void handler(request, response);
  });
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

/** What the data routes (REST and gRPC) share. */
function dataContext(config: ServerConfig, cluster: ClusterConfig, store: Store, peers?: Peers): ApiContext {
  return {
    store,
    autoSchema: config.autoSchema,
    defaultShardCount: cluster.nodes.length,
    ...(peers !== undefined ? { propertyAdded: (className, property) => addPropertyEverywhere(peers, className, property) } : {}),
  };
}

/** Auto-schema added `property` here: the other nodes add it too, or the write fails. */
async function addPropertyEverywhere(peers: Peers, className: string, property: PropertySchema): Promise<void> {
  await Promise.all(
    peers.names.map(async (node) => {
      const answer = await peers.request(node, 'POST', `/schema/${encodeURIComponent(className)}/properties`, { body: property });
      if (answer.status !== 200) {
        throw new HttpError(503, `node ${node} did not add property '${property.name}' of class '${className}' (${answer.status})`);
      }
    }),
  );
}

function running(
  config: ServerConfig,
  cluster: ClusterConfig,
  server: Server,
  grpcServer: RunningGrpcServer,
  store: Store,
  engine: BackupEngine,
  backupApi: BackupApi,
  participantApi: ParticipantApi | undefined,
  providers: ProviderRegistry,
  state: LifecycleState,
  observers: { metrics: BackupMetrics | undefined; metricsServer: MetricsServer | undefined; stopLogging: () => void },
): RunningServer {
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    state.closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    const grpcStopped = grpcServer.close(DRAIN_MS);
    // Running copies and verifications, then backups and restores, end first (recorded as
    // aborted) while the providers are still open, so in-flight status polls still get answers.
    await backupApi.close();
    await engine.close();
    await participantApi?.close();
    await stopped;
    await grpcStopped;
    clearTimeout(cut);
    await store.close();
    await providers.close();
    // Last, so a final scrape can still see how the shutdown ended the operations.
    await observers.metricsServer?.close();
    observers.metrics?.close();
    observers.stopLogging();
  };
  return {
    url: baseUrl(address, config.host),
    port: address.port,
    grpcPort: grpcServer.port,
    nodeName: config.nodeName,
    nodes: cluster.nodes,
    dataPath: config.dataPath,
    backends: providers.names(),
    metricsUrl: observers.metricsServer?.url,
    close: () => (closed ??= close()),
  };
}

function baseUrl(address: AddressInfo, host: string | undefined): string {
  const shown = host === undefined || host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : address.address;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`;
}
