/**
 * A small method + path router: patterns are '/'-separated segments where
 * `{name}` captures one segment. Enough for the Weaviate subset served here,
 * without a framework dependency.
 */

/** What a handler receives. `body` is the parsed JSON body (undefined when empty). */
export interface RouteRequest {
  readonly method: string;
  /** Path below `/v1`, e.g. `/schema/Article`. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/** What a handler answers: a status and an optional JSON body. */
export interface RouteResponse {
  readonly status: number;
  readonly body?: unknown;
}

export type RouteHandler = (request: RouteRequest) => Promise<RouteResponse> | RouteResponse;

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly handler: RouteHandler; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: string[] }
  | { readonly kind: 'not-found' };

export class Router {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler): this {
    this.#routes.push({ method, segments: split(pattern), handler });
    return this;
  }

  /** The route for `method` and `path`; HEAD falls back to GET (Node sends no body for HEAD). */
  match(method: string, path: string): RouteMatch {
    const segments = split(path);
    const allowed: string[] = [];
    let getFallback: RouteMatch | undefined;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === method) return { kind: 'found', handler: route.handler, params };
      if (method === 'HEAD' && route.method === 'GET') getFallback ??= { kind: 'found', handler: route.handler, params };
      allowed.push(route.method);
    }
    if (getFallback !== undefined) return getFallback;
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = path[i]!;
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
