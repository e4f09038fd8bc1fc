import { BackupError, ErrorCode } from '../errors.ts';
import type { Cluster } from '../engine/engine-options.ts';
import type { Participant } from '../engine/participant.ts';
import { HttpParticipant, type HttpParticipantOptions } from './http-participant.ts';

export interface HttpClusterOptions extends Omit<HttpParticipantOptions, 'node' | 'url'> {
  /** This node's participant (the engine's own node). */
  readonly local: Participant;
  /** Every other node: name → base URL of its participant API, e.g. `{ node2: 'http://10.0.0.2:8080' }`. */
  readonly peers: Readonly<Record<string, string>>;
}

/**
 * A `Cluster` for `BackupEngine`: this node through its `LocalParticipant`,
 * every peer through an `HttpParticipant`. Node names must be unique.
 */
export function createHttpCluster(options: HttpClusterOptions): Cluster {
  const { local, peers, ...transport } = options;
  if (Object.hasOwn(peers, local.node)) {
    throw new BackupError(ErrorCode.CONFIG, `node ${local.node} is listed as its own peer`);
  }
  const participants = new Map<string, Participant>([[local.node, local]]);
  for (const [node, url] of Object.entries(peers)) participants.set(node, new HttpParticipant({ ...transport, node, url }));
  return {
    nodes: [...participants.keys()],
    participant: (node) => participants.get(node),
  };
}
