/**
 * Serves `import('@backup/provider-filesystem')` from the modules bundled
 * into this file, so the bundle's server needs no node_modules for it (see
 * server-entry.ts). Only the filesystem provider: the speed comparisons back
 * up to tmpfs.
 */
import { registerHooks } from 'node:module';
import * as filesystemProvider from '@backup/provider-filesystem';
import { BUNDLED_WORKER_PROVIDER } from './layout.ts';

// Worker threads build their own provider from `workerEntry`, which the module sets to its
// own `import.meta.url`: inside this bundle, the server's file. They import the provider's
// file of its own beside the server instead (build-bundle.ts).
const filesystemModule = { ...filesystemProvider.backupModule, workerEntry: new URL(`./${BUNDLED_WORKER_PROVIDER}`, import.meta.url).href };
const BUNDLED: Readonly<Record<string, unknown>> = { '@backup/provider-filesystem': { ...filesystemProvider, backupModule: filesystemModule } };
const SCHEME = 'backup-bundled:';
const REGISTRY = Symbol.for('@backup/bench bundled modules');

(globalThis as Record<symbol, unknown>)[REGISTRY] = BUNDLED;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (Object.hasOwn(BUNDLED, specifier)) return { url: `${SCHEME}${specifier}`, format: 'module', shortCircuit: true };
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (!url.startsWith(SCHEME)) return nextLoad(url, context);
    const specifier = url.slice(SCHEME.length);
    const names = Object.keys(BUNDLED[specifier] as object).filter((name) => name !== 'default');
    const module = `globalThis[Symbol.for(${JSON.stringify(REGISTRY.description)})][${JSON.stringify(specifier)}]`;
    const source = names.map((name) => `export const ${name} = ${module}.${name};`).join('\n');
    return { format: 'module', source, shortCircuit: true };
  },
});
