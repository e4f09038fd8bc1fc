import { resolve } from 'node:path';
import { BackupError, ErrorCode } from '@backup/core';
import type { AuthConfig } from './http/auth.ts';

/** Default cap on one request body: large enough for big batches, small enough to bound memory. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Everything the server needs, resolved from options and the environment. */
export interface ServerConfig {
  readonly port: number;
  /** `GRPC_PORT` (default 50051, as Weaviate; 0 = any free port, the default when `port` is 0). */
  readonly grpcPort: number;
  readonly host: string | undefined;
  readonly dataPath: string;
  readonly nodeName: string;
  /** Module names from `ENABLE_MODULES`, e.g. `backup-filesystem`. */
  readonly modules: readonly string[];
  readonly auth: AuthConfig;
  readonly maxBodyBytes: number;
  /** `AUTOSCHEMA_ENABLED` (default true): unknown object properties are added to the schema. */
  readonly autoSchema: boolean;
  /** `PROMETHEUS_MONITORING_ENABLED` (default false) and `PROMETHEUS_MONITORING_PORT` (default 2112, 0 = any free port). */
  readonly metrics: { readonly enabled: boolean; readonly port: number };
  /** `LOG_LEVEL` (default `info`) and `LOG_FORMAT` (`json`, the default, or `text`). */
  readonly logging: { readonly level: LogLevel; readonly format: 'json' | 'text' };
  /** The environment the backup providers are configured from. */
  readonly env: NodeJS.ProcessEnv;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Explicit settings; each one wins over its environment variable. */
export interface ConfigOverrides {
  readonly port?: number | undefined;
  readonly grpcPort?: number | undefined;
  readonly host?: string | undefined;
  readonly dataPath?: string | undefined;
  readonly nodeName?: string | undefined;
  readonly maxBodyBytes?: number | undefined;
}

/**
 * Resolves the configuration from `env` (Weaviate's variable names) and
 * explicit overrides. Throws `BackupError` CONFIG naming the variable at fault.
 */
export function resolveConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): ServerConfig {
  const port = overrides.port ?? parsePort(env.PORT, 'PORT') ?? 8080;
  const dataPath = resolve(overrides.dataPath ?? nonEmpty(env.PERSISTENCE_DATA_PATH) ?? './data');
  const nodeName = overrides.nodeName ?? nonEmpty(env.CLUSTER_HOSTNAME) ?? 'node1';
  const maxBodyBytes = overrides.maxBodyBytes ?? parsePositiveInt(env.MAX_REQUEST_BODY_BYTES, 'MAX_REQUEST_BODY_BYTES') ?? DEFAULT_MAX_BODY_BYTES;
  // A server on a free port (tests, several servers on a machine) takes a free gRPC port too unless told otherwise.
  const grpcPort = overrides.grpcPort ?? parsePort(env.GRPC_PORT, 'GRPC_PORT') ?? (port === 0 ? 0 : 50051);
  return {
    port,
    grpcPort,
    host: overrides.host ?? nonEmpty(env.HOST),
    dataPath,
    nodeName,
    modules: parseList(env.ENABLE_MODULES),
    auth: resolveAuth(env),
    maxBodyBytes,
    autoSchema: parseBoolean(env.AUTOSCHEMA_ENABLED, 'AUTOSCHEMA_ENABLED') ?? true,
    metrics: {
      enabled: parseBoolean(env.PROMETHEUS_MONITORING_ENABLED, 'PROMETHEUS_MONITORING_ENABLED') ?? false,
      port: parsePort(env.PROMETHEUS_MONITORING_PORT, 'PROMETHEUS_MONITORING_PORT') ?? 2112,
    },
    logging: resolveLogging(env),
    env,
  };
}

function resolveLogging(env: NodeJS.ProcessEnv): ServerConfig['logging'] {
  const level = (nonEmpty(env.LOG_LEVEL) ?? 'info').toLowerCase();
  // Weaviate's `warning` is pino's `warn`.
  const normalized = level === 'warning' ? 'warn' : level === 'panic' ? 'fatal' : level;
  if (!(LOG_LEVELS as readonly string[]).includes(normalized)) {
    throw new BackupError(ErrorCode.CONFIG, `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  }
  const format = (nonEmpty(env.LOG_FORMAT) ?? 'json').toLowerCase();
  if (format !== 'json' && format !== 'text') {
    throw new BackupError(ErrorCode.CONFIG, `LOG_FORMAT must be json or text, got ${JSON.stringify(env.LOG_FORMAT)}`);
  }
  return { level: normalized as LogLevel, format };
}

function resolveAuth(env: NodeJS.ProcessEnv): AuthConfig {
  const apiKeyEnabled = parseBoolean(env.AUTHENTICATION_APIKEY_ENABLED, 'AUTHENTICATION_APIKEY_ENABLED') ?? false;
  const anonymous = parseBoolean(env.AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED, 'AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED');
  if (!apiKeyEnabled) {
    // As Weaviate: a node with every authentication scheme off refuses to start, never stays open.
    if (anonymous === false) {
      throw new BackupError(
        ErrorCode.CONFIG,
        'AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=false leaves no authentication scheme: ' +
          'set AUTHENTICATION_APIKEY_ENABLED=true with AUTHENTICATION_APIKEY_ALLOWED_KEYS, or allow anonymous access',
      );
    }
    return { apiKeys: [], anonymousAccess: true };
  }
  const apiKeys = parseList(env.AUTHENTICATION_APIKEY_ALLOWED_KEYS);
  if (apiKeys.length === 0) {
    throw new BackupError(ErrorCode.CONFIG, 'AUTHENTICATION_APIKEY_ALLOWED_KEYS must list at least one key when AUTHENTICATION_APIKEY_ENABLED=true');
  }
  // With keys configured, anonymous access is off unless explicitly turned on.
  return { apiKeys, anonymousAccess: anonymous ?? false };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function parseBoolean(value: string | undefined, name: string): boolean | undefined {
  const text = nonEmpty(value)?.toLowerCase();
  if (text === undefined) return undefined;
  if (text === 'true' || text === '1' || text === 'on' || text === 'yes') return true;
  if (text === 'false' || text === '0' || text === 'off' || text === 'no') return false;
  throw new BackupError(ErrorCode.CONFIG, `${name} must be true or false, got ${JSON.stringify(value)}`);
}

/** A TCP port (0 = any free port). */
export function parsePort(value: string | undefined, name: string): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new BackupError(ErrorCode.CONFIG, `${name} must be a port number between 0 and 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

function parsePositiveInt(value: string | undefined, name: string): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!/^\d+$/.test(text) || number <= 0) {
    throw new BackupError(ErrorCode.CONFIG, `${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return number;
}
