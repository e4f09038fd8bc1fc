/**
 * The harness of the bench bundle (`bench.mjs`): `npm run bench`'s command
 * line, starting the bundled server (`app/server/server.mjs`) instead of the
 * server's TypeScript sources. The import order matters: the server path is
 * set before the command line runs.
 */
import './use-bundle.ts';
import '../cli.ts';
