import { BackupError, ErrorCode } from '@backup/core';

/** A refusal or failure the server answered, with its HTTP status and first error message. */
export class ServerAnswerError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ServerAnswerError';
    this.status = status;
  }
}

/** The server could not be reached at all (refused, reset, timed out). */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

export interface RestClientOptions {
  /** Base URL of the node, e.g. `http://localhost:8080` (the API is under `/v1`). */
  readonly url: string;
  /** Sent as `Authorization: Bearer <key>`. */
  readonly apiKey?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number | undefined;
}

/** The few calls of the backup REST API the CLI makes; JSON in, JSON out. */
export class RestClient {
  readonly url: string;
  readonly #apiKey: string | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #timeoutMs: number;

  constructor(options: RestClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, `--url: not a URL: ${JSON.stringify(options.url)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, `--url: use http:// or https://, got ${JSON.stringify(options.url)}`);
    }
    this.url = base.toString().replace(/\/+$/, '').replace(/\/v1$/, '');
    this.#apiKey = options.apiKey;
    this.#signal = options.signal;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `method /v1<path>`; resolves the parsed body (undefined for 204), rejects `ServerAnswerError` for 4xx/5xx. */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const signals = [AbortSignal.timeout(this.#timeoutMs), ...(this.#signal ? [this.#signal] : [])];
    let response: Response;
    try {
      response = await fetch(`${this.url}/v1${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      if (this.#signal?.aborted) throw this.#signal.reason;
      const cause = (error as { cause?: { code?: string } }).cause;
      const why = cause?.code ?? (error instanceof Error ? error.message : String(error));
      throw new UnreachableError(`cannot reach ${this.url} (${why})`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (response.status >= 400) {
      const message = (parsed as { error?: { message?: unknown }[] } | undefined)?.error?.[0]?.message;
      throw new ServerAnswerError(response.status, typeof message === 'string' ? message : `HTTP ${response.status}`);
    }
    return parsed;
  }
}
