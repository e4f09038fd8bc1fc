/**
 * The messages of the node-to-node backup protocol (see the package README,
 * "Cluster protocol"): paths, bodies, phases, and how a `BackupError` crosses
 * the wire. Shared by `createParticipantApi` (the node's side) and
 * `HttpParticipant` (the coordinator's side) so both speak exactly this.
 */
import { BackupError, ErrorCode } from '../errors.ts';
import { isCompressionLevel } from '../engine/compression.ts';
import type { ProgressTotals, NodeBackupRequest, NodeRestoreRequest } from '../engine/participant.ts';
import type { NodeDescriptor } from '../format/descriptors.ts';
import { validateBackupId } from '../engine/request-validation.ts';

/** Every internal path starts with this; a host mounts the handler outside `/v1`. */
export const PARTICIPANT_PATH_PREFIX = '/internal';

/** How long a participant that accepted waits for the coordinator before aborting on its own (Weaviate: `_TimeoutShardCommit`, 20 s). */
export const DEFAULT_ABORT_AFTER_MS = 20_000;
/** How long one internal request may take (Weaviate: `_TimeoutQueryStatus`, 5 s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Pause between two status polls; well inside `DEFAULT_ABORT_AFTER_MS`, so a live coordinator is never mistaken for a gone one. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** How long polls may fail before the coordinator gives a node up; past this the node has aborted on its own anyway. */
export const DEFAULT_UNREACHABLE_AFTER_MS = DEFAULT_ABORT_AFTER_MS;

export type OperationKind = 'backups' | 'restores';

export type BackupAction = 'can-commit' | 'commit' | 'status' | 'abort';
export type RestoreAction = 'can-restore' | 'stage' | 'finalize' | 'status' | 'abort';

/** `/internal/backups/{id}/{action}` or `/internal/restores/{id}/{action}`. */
export function participantPath(kind: OperationKind, id: string, action: BackupAction | RestoreAction): string {
  return `${PARTICIPANT_PATH_PREFIX}/${kind}/${encodeURIComponent(id)}/${action}`;
}

export type ParticipantRoute =
  | { readonly kind: 'backups'; readonly id: string; readonly action: BackupAction }
  | { readonly kind: 'restores'; readonly id: string; readonly action: RestoreAction };

const BACKUP_ACTIONS: ReadonlySet<string> = new Set<BackupAction>(['can-commit', 'commit', 'status', 'abort']);
const RESTORE_ACTIONS: ReadonlySet<string> = new Set<RestoreAction>(['can-restore', 'stage', 'finalize', 'status', 'abort']);

/** True for every path this protocol owns (so a host knows the request is ours, even a malformed one). */
export function isParticipantPath(path: string): boolean {
  return path === PARTICIPANT_PATH_PREFIX || path.startsWith(`${PARTICIPANT_PATH_PREFIX}/`);
}

/** Parses a protocol path; undefined for an unknown one. */
export function parseParticipantPath(path: string): ParticipantRoute | undefined {
  const segments = path.replace(/\/+$/, '').split('/');
  if (segments.length !== 5 || segments[0] !== '' || `/${segments[1]}` !== PARTICIPANT_PATH_PREFIX) return undefined;
  const [, , kind, rawId, action] = segments as [string, string, string, string, string];
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return undefined;
  }
  if (kind === 'backups' && BACKUP_ACTIONS.has(action)) return { kind, id, action: action as BackupAction };
  if (kind === 'restores' && RESTORE_ACTIONS.has(action)) return { kind, id, action: action as RestoreAction };
  return undefined;
}

/**
 * A participant's phase of one operation, as the status poll reports it.
 * Backups: ACCEPTED → STARTED → TRANSFERRING → SUCCESS | FAILED.
 * Restores: ACCEPTED → TRANSFERRING → TRANSFERRED → FINALIZING → SUCCESS | FAILED.
 */
export type ParticipantPhase = 'ACCEPTED' | 'STARTED' | 'TRANSFERRING' | 'TRANSFERRED' | 'FINALIZING' | 'SUCCESS' | 'FAILED';

export function isFinalPhase(phase: ParticipantPhase): boolean {
  return phase === 'SUCCESS' || phase === 'FAILED';
}

/** A `BackupError` on the wire. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Body of `GET .../status`. */
export interface ParticipantStatus {
  readonly node: string;
  readonly id: string;
  readonly phase: ParticipantPhase;
  /** File bytes (before compression) packed (backups) or extracted (restores) so far on this node. */
  readonly bytes: number;
  /** This node's totals, once it knows them (after its snapshots; from its descriptor). Absent from older nodes. */
  readonly planned?: ProgressTotals | undefined;
  /** Files and chunks done so far on this node. */
  readonly done?: { readonly files: number; readonly chunks: number } | undefined;
  /** Set with phase FAILED. */
  readonly error?: WireError | undefined;
  /** Backups, with phase SUCCESS: this node's descriptor, as written to `<id>/<node>/backup.json`. */
  readonly descriptor?: NodeDescriptor | undefined;
}

/**
 * Error body: the public API's `{"error":[{"message"}]}` plus the stable code,
 * so the other side rebuilds the same `BackupError`.
 */
export function wireErrorBody(error: unknown): { code: ErrorCode; error: { message: string }[] } {
  const wire = toWireError(error);
  return { code: wire.code, error: [{ message: wire.message }] };
}

export function toWireError(error: unknown): WireError {
  if (BackupError.is(error)) return { code: error.code, message: error.message };
  return { code: ErrorCode.IO, message: error instanceof Error ? error.message : String(error) };
}

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Rebuilds the error a node sent, naming the node: "node node2: ...". */
export function fromWireError(node: string, wire: unknown, fallback: { status: number } = { status: 500 }): BackupError {
  const value = (wire ?? {}) as { code?: unknown; message?: unknown; error?: { message?: unknown }[] };
  const code = typeof value.code === 'string' && CODES.has(value.code) ? (value.code as ErrorCode) : codeForStatus(fallback.status);
  const message =
    typeof value.message === 'string' ? value.message : typeof value.error?.[0]?.message === 'string' ? value.error[0].message : `HTTP ${fallback.status}`;
  return new BackupError(code, nodeMessage(node, message));
}

/** Prefixes `message` with the node's name unless it already starts with it. */
export function nodeMessage(node: string, message: string): string {
  const prefix = `node ${node}: `;
  return message.startsWith(prefix) ? message : `${prefix}${message}`;
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return ErrorCode.ACCESS_DENIED;
  if (status === 404) return ErrorCode.NOT_FOUND;
  if (status === 422 || status === 400) return ErrorCode.INVALID_ARGUMENT;
  if (status === 502 || status === 503 || status === 504) return ErrorCode.UNAVAILABLE;
  return ErrorCode.IO;
}

// ------------------------------------------------------------ request bodies

function malformed(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, `malformed internal request: ${message}`);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function string(value: Record<string, unknown>, field: string): string {
  if (typeof value[field] !== 'string') throw malformed(`'${field}' must be a string`);
  return value[field];
}

function number(value: Record<string, unknown>, field: string): number {
  const result = value[field];
  if (typeof result !== 'number' || !Number.isFinite(result) || result < 0) throw malformed(`'${field}' must be a number`);
  return result;
}

function strings(value: Record<string, unknown>, field: string): string[] {
  const result = value[field];
  if (!Array.isArray(result) || result.some((entry) => typeof entry !== 'string')) throw malformed(`'${field}' must be a list of strings`);
  return result as string[];
}

function location(value: Record<string, unknown>): NodeBackupRequest['location'] {
  const raw = object(value.location ?? {}, "'location'");
  const result: { bucket?: string; path?: string } = {};
  if (raw.bucket !== undefined) result.bucket = string(raw, 'bucket');
  if (raw.path !== undefined) result.path = string(raw, 'path');
  return result;
}

function checkId(id: string, pathId: string): string {
  validateBackupId(id);
  if (id !== pathId) throw malformed(`the body names backup ${id}, the path ${pathId}`);
  return id;
}

export function decodeNodeBackupRequest(body: unknown, pathId: string): NodeBackupRequest {
  const value = object(body, 'the body');
  const compression = object(value.compression, "'compression'");
  if (!isCompressionLevel(compression.name)) throw malformed("'compression.name' is not a compression level");
  const codec = string(compression, 'codec');
  if (codec !== 'gzip' && codec !== 'zstd' && codec !== 'none') throw malformed("'compression.codec' is unknown");
  return {
    id: checkId(string(value, 'id'), pathId),
    backend: string(value, 'backend'),
    location: location(value),
    collections: strings(value, 'collections'),
    chunkSizeBytes: number(value, 'chunkSizeBytes'),
    compression: { codec, level: number(compression, 'level'), name: compression.name },
    cpuPercentage: number(value, 'cpuPercentage'),
    startedAt: string(value, 'startedAt'),
    ...(value.incrementalBaseBackupId !== undefined ? { incrementalBaseBackupId: validateBackupId(string(value, 'incrementalBaseBackupId')) } : {}),
  };
}

export function decodeNodeRestoreRequest(body: unknown, pathId: string): NodeRestoreRequest {
  const value = object(body, 'the body');
  return {
    id: checkId(string(value, 'id'), pathId),
    backend: string(value, 'backend'),
    location: location(value),
    sourceNode: string(value, 'sourceNode'),
    collections: strings(value, 'collections'),
    cpuPercentage: number(value, 'cpuPercentage'),
    ...(value.nodeMapping !== undefined ? { nodeMapping: stringMap(value, 'nodeMapping') } : {}),
  };
}

function stringMap(value: Record<string, unknown>, field: string): Record<string, string> {
  const raw = object(value[field], `'${field}'`);
  for (const entry of Object.values(raw)) if (typeof entry !== 'string') throw malformed(`'${field}' must map names to names`);
  return raw as Record<string, string>;
}
