/**
 * Where things sit in the bench bundle, relative to its root (where
 * `bench.mjs` is). The server sits two folders down because it loads its
 * `.proto` files from `../../proto/` relative to its own module
 * (packages/server/src/grpc/grpc-server.ts), so they go to `<bundle>/proto/`;
 * worker-thread entries sit beside it, where the core looks for them
 * (`new URL('./<name>-worker.mjs', import.meta.url)`).
 */
export const BUNDLED_SERVER_DIR = 'app/server';
export const BUNDLED_SERVER_PATH = `${BUNDLED_SERVER_DIR}/server.mjs`;
export const BUNDLED_PROTO_DIR = 'proto';
export const BUNDLED_HARNESS = 'bench.mjs';
/**
 * The filesystem provider on its own, beside the server: what the bundle's
 * worker threads import to build their own provider (its `workerEntry`, see
 * bundled-providers.ts); the server's copy is inside `server.mjs`.
 */
export const BUNDLED_WORKER_PROVIDER = 'provider-filesystem.mjs';
