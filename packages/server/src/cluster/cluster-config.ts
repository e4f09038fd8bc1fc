import { BackupError, ErrorCode } from '@backup/core';

/** One node of the cluster and where its HTTP port is. */
export interface Member {
  readonly name: string;
  /** Base URL of the node's HTTP port, e.g. `http://10.0.0.2:8080` (no `/v1`). */
  readonly url: string;
}

/** The cluster this node belongs to, from `CLUSTER_JOIN` and friends. */
export interface ClusterConfig {
  readonly self: string;
  /** The other nodes. Empty: a single node. */
  readonly peers: readonly Member[];
  /** Every node name, this one included, sorted (placement indexes into it). */
  readonly nodes: readonly string[];
  /** Shared secret of the internal endpoints (`Authorization: Bearer <secret>`). */
  readonly secret: string | undefined;
  /** `BACKUP_PARTICIPANT_TIMEOUT_MS`: how long a participant that accepted phase 1 waits for commit or abort. */
  readonly participantTimeoutMs: number | undefined;
}

/** Node names as they appear in backup keys (`<id>/<node>/...`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Reads `CLUSTER_JOIN` (comma-separated `name=http://host:port` of the other
 * nodes; an entry naming this node is ignored, so every node may be given the
 * same list), `CLUSTER_SECRET` (falls back to the first API key; required
 * with peers) and `BACKUP_PARTICIPANT_TIMEOUT_MS`. Throws CONFIG naming the
 * variable at fault.
 */
export function resolveClusterConfig(env: NodeJS.ProcessEnv, self: string, apiKeys: readonly string[]): ClusterConfig {
  const peers: Member[] = [];
  for (const entry of (env.CLUSTER_JOIN ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')) {
    const match = /^([^=\s]+)=(\S+)$/.exec(entry);
    if (!match) throw config(`CLUSTER_JOIN entries are name=http://host:port, got ${JSON.stringify(entry)}`);
    const [, name, url] = match as unknown as [string, string, string];
    if (!NAME.test(name)) throw config(`CLUSTER_JOIN: ${JSON.stringify(name)} is not a valid node name`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw config(`CLUSTER_JOIN: ${JSON.stringify(url)} of node ${name} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw config(`CLUSTER_JOIN: node ${name} needs an http(s) URL`);
    if (name === self) continue;
    if (peers.some((peer) => peer.name === name)) throw config(`CLUSTER_JOIN names node ${name} twice`);
    peers.push({ name, url: parsed.origin });
  }
  const secret = nonEmpty(env.CLUSTER_SECRET) ?? apiKeys[0];
  if (peers.length > 0 && secret === undefined) {
    throw config('CLUSTER_SECRET is required when CLUSTER_JOIN names other nodes (or enable API keys: the first key is used)');
  }
  const timeout = nonEmpty(env.BACKUP_PARTICIPANT_TIMEOUT_MS);
  if (timeout !== undefined && (!/^\d+$/.test(timeout) || Number(timeout) <= 0)) {
    throw config(`BACKUP_PARTICIPANT_TIMEOUT_MS must be a positive integer, got ${JSON.stringify(timeout)}`);
  }
  return {
    self,
    peers,
    nodes: [self, ...peers.map((peer) => peer.name)].sort(),
    secret,
    participantTimeoutMs: timeout === undefined ? undefined : Number(timeout),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function config(message: string): BackupError {
  return new BackupError(ErrorCode.CONFIG, message);
}
