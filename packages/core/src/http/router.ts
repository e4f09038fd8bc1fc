import type { RouteHandler } from './messages.ts';

/**
 * The one method + path router of every HTTP API here. Patterns are
 * '/'-separated segments where `{name}` captures one segment (decoded).
 * Routes are tried in the order they were added, so a table can put
 * overrides first (a cluster node's routing routes before its local ones).
 * Trailing slashes are ignored; an empty segment (`//`) or one that is not
 * valid percent-encoding matches nothing.
 */
export type RouteMatch =
  | { readonly kind: 'found'; readonly handler: RouteHandler; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: string[] }
  | { readonly kind: 'not-found' };

export interface RouterOptions {
  /**
   * Whether HEAD is answered by the GET route when there is no HEAD route
   * (Node sends no body for HEAD). Default true; Weaviate's backup API
   * answers HEAD with 405.
   */
  readonly headAsGet?: boolean;
}

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
}

export class Router {
  readonly #routes: Route[] = [];
  readonly #headAsGet: boolean;

  constructor(options: RouterOptions = {}) {
    this.#headAsGet = options.headAsGet ?? true;
  }

  add(method: string, pattern: string, handler: RouteHandler): this {
    this.#routes.push({ method, segments: split(pattern), handler });
    return this;
  }

  /** The route for `method` (upper case) and `path`; else whether the path is known with other methods. */
  match(method: string, path: string): RouteMatch {
    const segments = split(path);
    const allowed: string[] = [];
    let getFallback: RouteMatch | undefined;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === method) return { kind: 'found', handler: route.handler, params };
      if (this.#headAsGet && method === 'HEAD' && route.method === 'GET') getFallback ??= { kind: 'found', handler: route.handler, params };
      if (!allowed.includes(route.method)) allowed.push(route.method);
    }
    if (getFallback !== undefined) return getFallback;
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

/** The message of a 405, the same in every API. */
export function methodNotAllowedMessage(method: string, fullPath: string, allowed: readonly string[]): string {
  return `method ${method} is not allowed on ${fullPath} (allowed: ${allowed.join(', ')})`;
}

function split(path: string): string[] {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? [] : trimmed.split('/').slice(1);
}

function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = path[i]!;
    if (actual === '') return undefined;
    if (expected.startsWith('{') && expected.endsWith('}')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      params[expected.slice(1, -1)] = decoded;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
