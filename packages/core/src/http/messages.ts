/**
 * The framework-neutral request and response of every HTTP API here (the
 * backup API, its copy and verify endpoints, the cluster's participant API and
 * the server's data API): the host parses the JSON body and sends `status`
 * and `body` (JSON) back.
 */

/** A request as any HTTP framework can describe it. */
export interface ApiRequest {
  readonly method: string;
  /** The path below the API's base, e.g. `/backups/s3/my-id/restore` below `/v1`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The parsed JSON body, or undefined. */
  readonly body: unknown;
}

/** What an API answers: a status and JSON to send (absent for an empty body, e.g. 204). */
export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
}

/** A request matched to a route: `params` holds the decoded `{name}` segments. */
export interface RouteRequest extends ApiRequest {
  readonly params: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: RouteRequest) => Promise<ApiResponse> | ApiResponse;
