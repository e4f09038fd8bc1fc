import type { Router } from '@backup/core';
import { WEAVIATE_COMPATIBLE_VERSION } from '../version.ts';

export interface MetaContext {
  /** The address the server answers on, e.g. `http://127.0.0.1:8080`. */
  readonly hostname: () => string;
  /** Enabled backup modules, e.g. `backup-filesystem`. */
  readonly modules: readonly string[];
}

/**
 * `GET /meta`. Weaviate answers `modules` as an object keyed by module name;
 * the keys list the enabled `backup-*` providers.
 */
export function registerMetaRoutes(router: Router, context: MetaContext): void {
  router.add('GET', '/meta', () => ({
    status: 200,
    body: {
      hostname: context.hostname(),
      version: WEAVIATE_COMPATIBLE_VERSION,
      modules: Object.fromEntries(context.modules.map((name) => [name, {}])),
    },
  }));
}
