import { HttpError } from '../http/errors.ts';
import type { ApiResponse } from '@backup/core';
import type { Member } from './cluster-config.ts';

/** Where the other nodes serve their local-only data API (same routes as `/v1`, no routing). */
export const INTERNAL_DATA_BASE = '/internal/cluster/v1';

/** How long a node waits for a peer's answer to a data request. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a peer may take to say it is ready before a schema change is refused. */
const READY_TIMEOUT_MS = 3_000;

/**
 * Requests to the other nodes' internal data API, authenticated with the
 * cluster secret. A peer that cannot be reached is a 503 naming it.
 */
export class Peers {
  readonly members: readonly Member[];
  readonly #secret: string;

  constructor(members: readonly Member[], secret: string) {
    this.members = members;
    this.#secret = secret;
  }

  get names(): string[] {
    return this.members.map((member) => member.name);
  }

  /** Sends `method path` (below `/v1`) to `node`'s local-only API and answers what it answered. */
  async request(
    node: string,
    method: string,
    path: string,
    options: { query?: URLSearchParams; body?: unknown; timeoutMs?: number } = {},
  ): Promise<ApiResponse> {
    const member = this.members.find((candidate) => candidate.name === node);
    if (member === undefined) throw new HttpError(500, `node ${node} is not a member of this cluster`);
    const query = options.query !== undefined && [...options.query.keys()].length > 0 ? `?${options.query.toString()}` : '';
    let response: Response;
    try {
      response = await fetch(`${member.url}${INTERNAL_DATA_BASE}${path}${query}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#secret}`,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(node, error);
    }
    const text = await response.text().catch((error: unknown) => {
      throw unreachable(node, error);
    });
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new HttpError(502, `node ${node} answered ${response.status} with a body that is not JSON`);
    }
    return { status: response.status, ...(body !== undefined ? { body } : {}) };
  }

  /** Rejects with 503 naming the first node that does not answer ready. */
  async assertAllReady(what: string): Promise<void> {
    await Promise.all(
      this.names.map(async (node) => {
        let status: number;
        try {
          status = (await this.request(node, 'GET', '/.well-known/ready', { timeoutMs: READY_TIMEOUT_MS })).status;
        } catch (error) {
          throw new HttpError(503, `${what} needs every node, and ${(error as Error).message}`);
        }
        if (status !== 200) throw new HttpError(503, `${what} needs every node, and node ${node} is not ready (${status})`);
      }),
    );
  }
}

function unreachable(node: string, error: unknown): HttpError {
  const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  return new HttpError(503, `node ${node} is unreachable: ${cause}`, { cause: error });
}
