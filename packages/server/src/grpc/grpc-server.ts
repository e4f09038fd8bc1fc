import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ApiContext } from '../api/context.ts';
import { authenticate, type AuthConfig } from '../http/auth.ts';
import { aggregate } from './aggregate.ts';
import { batchObjects } from './batch.ts';
import { search } from './search.ts';
import { grpcStatusFor, serviceError, unimplemented } from './status.ts';
import type { Message } from './message.ts';

/** The `.proto` files, shipped with the package (`proto/`, next to `src/` and `dist/`). */
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

export interface GrpcServerOptions {
  readonly port: number;
  readonly host: string | undefined;
  readonly context: ApiContext;
  readonly auth: AuthConfig;
  /** Largest accepted message, as the REST body limit. */
  readonly maxMessageBytes: number;
  /** False while the node shuts down: the health check then answers NOT_SERVING. */
  readonly isServing: () => boolean;
  /** A cluster node serves the data methods over REST only (gRPC reads and writes this node's store alone). */
  readonly clustered: boolean;
  readonly logError: (message: string) => void;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** Lets calls in flight finish (at most `drainMs`), then stops. */
  close(drainMs: number): Promise<void>;
}

/**
 * Weaviate's gRPC API, plaintext HTTP/2: `grpc.health.v1.Health/Check` and
 * `weaviate.v1.Weaviate` Search (fetch), BatchObjects and Aggregate (count),
 * over the same store as the REST API. The other methods answer UNIMPLEMENTED.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const definition = protoLoader.loadSync(['weaviate.proto', 'health.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    arrays: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as Message;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
  });

  server.addService(loaded.grpc.health.v1.Health.service, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<Message>) => callback(null, { status: options.isServing() ? 'SERVING' : 'NOT_SERVING' }),
    Watch: (call: grpc.ServerWritableStream<Message, Message>) =>
      call.destroy(Object.assign(new Error('Health/Watch is not supported by this server; call Health/Check'), { code: grpc.status.UNIMPLEMENTED })),
  });

  const data =
    (method: string, run: (request: Message) => Promise<Message>) => (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
      void (async () => {
        try {
          authenticate(options.auth, call.metadata.get('authorization')[0]?.toString());
          if (options.clustered) throw unimplemented(`${method} is served by single-node servers only; on a cluster use the REST API`);
          callback(null, await run(call.request));
        } catch (error) {
          if (grpcStatusFor(error) === grpc.status.INTERNAL)
            options.logError(`gRPC ${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          callback(serviceError(error));
        }
      })();
    };
  const refuse = (method: string, instead: string) => (call: Message, callback?: grpc.sendUnaryData<Message>) => {
    const error = { code: grpc.status.UNIMPLEMENTED, details: `weaviate.v1.Weaviate/${method} is not implemented by this server; ${instead}` };
    if (typeof callback === 'function') callback(error);
    else call.destroy(Object.assign(new Error(error.details), error));
  };
  server.addService(loaded.weaviate.v1.Weaviate.service, {
    Search: data('Search', (request) => search(options.context, request)),
    BatchObjects: data('BatchObjects', (request) => batchObjects(options.context, request)),
    Aggregate: data('Aggregate', (request) => aggregate(options.context, request)),
    BatchReferences: refuse('BatchReferences', 'cross-references are not supported'),
    BatchDelete: refuse('BatchDelete', 'delete objects with REST DELETE /v1/objects/{class}/{id}'),
    TenantsGet: refuse('TenantsGet', 'list tenants with REST GET /v1/schema/{class}/tenants'),
    BatchSend: refuse('BatchSend', 'insert with BatchObjects'),
    BatchStream: refuse('BatchStream', 'insert with BatchObjects (a client without server-side batching)'),
  });

  const port = await bind(server, options.host, options.port);
  return {
    port,
    close: (drainMs) =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.forceShutdown(), drainMs);
        server.tryShutdown(() => {
          clearTimeout(cut);
          resolve();
        });
      }),
  };
}

/** Binds like the HTTP server: the given host, else every interface (IPv6 and IPv4 where the machine has both). */
async function bind(server: grpc.Server, host: string | undefined, port: number): Promise<number> {
  const credentials = grpc.ServerCredentials.createInsecure();
  const attempt = (address: string) =>
    new Promise<number>((resolve, reject) => server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  if (host !== undefined && host !== '') return await attempt(`${host.includes(':') ? `[${host}]` : host}:${port}`);
  try {
    return await attempt(`[::]:${port}`);
  } catch {
    return await attempt(`0.0.0.0:${port}`);
  }
}
