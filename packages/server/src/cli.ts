import { parseArgs } from 'node:util';
import { BackupError, threadPoolSize } from '@backup/core';
import { parsePort } from './config.ts';
import { startServer, type RunningServer } from './server.ts';

export const USAGE = `Usage: backup-server [options]

A node of the reference LSM store with a Weaviate-compatible REST API
(collections, tenants, objects, batch) and hot backups under /v1/backups.

Options:
  -p, --port <port>   port to listen on (env PORT, default 8080; 0 = any free port)
      --host <host>   interface to listen on (env HOST, default all)
  -h, --help          show this help

Environment:
  GRPC_PORT                          gRPC port (default 50051; any free port when --port is 0)
  PERSISTENCE_DATA_PATH              data folder (default ./data)
  CLUSTER_HOSTNAME                   node name (default node1)
  CLUSTER_JOIN                       other nodes: name=http://host:port,... (default: a single node)
  CLUSTER_SECRET                     secret the nodes share (default: the first API key)
  BACKUP_PARTICIPANT_TIMEOUT_MS      a node aborts a backup its coordinator went silent on (default 20000)
  UV_THREADPOOL_SIZE                 threads for compression and file I/O (default: cores + 4)
  ENABLE_MODULES                     e.g. backup-filesystem,backup-s3,backup-gcs,backup-azure,backup-sftp
  BACKUP_FILESYSTEM_PATH             backup-filesystem: absolute folder (required)
  BACKUP_S3_BUCKET, BACKUP_S3_*      backup-s3 (see the README)
  BACKUP_GCS_BUCKET, BACKUP_GCS_*    backup-gcs
  BACKUP_AZURE_CONTAINER, ...        backup-azure
  AUTHENTICATION_APIKEY_ENABLED      true to require "Authorization: Bearer <key>"
  AUTHENTICATION_APIKEY_ALLOWED_KEYS comma-separated keys
`;

/** What `main` needs from the process; tests and the bin pass the real one. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves with the signal that asks the server to stop. */
  readonly stopSignal: () => Promise<string>;
}

/**
 * Runs the server until a stop signal, then closes it gracefully. Resolves
 * the exit code: 0 after a clean stop or `--help`, 1 for a start-up failure
 * (with a one-line message naming the problem, never a stack trace), 2 for
 * bad arguments.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { port?: string | undefined; host?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`backup-server: ${(error as Error).message}`);
    io.err(USAGE);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }

  let server: RunningServer;
  try {
    const port = parsePort(values.port, '--port');
    server = await startServer({
      env: io.env,
      ...(port !== undefined ? { port } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
    });
  } catch (error) {
    io.err(`backup-server: cannot start: ${describe(error)}`);
    return 1;
  }

  io.out(`backup-server: node ${server.nodeName} listening on ${server.url} (API under ${server.url}/v1, gRPC on port ${server.grpcPort})`);
  io.out(`backup-server: data in ${server.dataPath}`);
  io.out(`backup-server: ${threadPoolSize(io.env)} threads for compression and file I/O (UV_THREADPOOL_SIZE)`);
  io.out(`backup-server: backup providers: ${server.backends.length > 0 ? server.backends.join(', ') : 'none (set ENABLE_MODULES)'}`);

  const signal = await io.stopSignal();
  io.out(`backup-server: ${signal} received, shutting down`);
  try {
    await server.close();
  } catch (error) {
    io.err(`backup-server: shutdown failed: ${describe(error)}`);
    return 1;
  }
  io.out('backup-server: stopped');
  return 0;
}

function describe(error: unknown): string {
  if (error instanceof BackupError) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
