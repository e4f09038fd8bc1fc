/**
 * The server of the bench bundle (`server.mjs`): the real `@backup/server`
 * bin, with the filesystem provider bundled in. The server imports its
 * providers by package name at run time (`ENABLE_MODULES`), which no bundler
 * can follow, so this entry imports the provider statically and answers that
 * import from the bundle through an in-thread module hook (Node's
 * `module.registerHooks`). The hook is registered before the bin's module
 * runs: imports evaluate in order.
 */
import './bundled-providers.ts';
import '../../../packages/server/src/bin.ts';
