import { BackupError, ErrorCode } from '../errors.ts';

function invalid(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, message);
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

/**
 * Which node of this cluster restores each node of a backup, checked before
 * anything is downloaded. A backup of N nodes restores only onto a cluster of
 * N nodes; each backup node goes to the node of the same name unless
 * `nodeMapping` (backup node → cluster node) says otherwise, and every target
 * must be a distinct node of this cluster. Any mismatch is INVALID_ARGUMENT
 * (HTTP 422) naming the nodes that do not match.
 */
export function planRestoreNodes(
  id: string,
  backupNodes: readonly string[],
  clusterNodes: readonly string[],
  nodeMapping: Readonly<Record<string, string>> = {},
): Map<string, string> {
  for (const [from, to] of Object.entries(nodeMapping)) {
    if (!backupNodes.includes(from)) {
      throw invalid(`node_mapping maps node ${from}, which backup ${id} does not have (its nodes: ${list(backupNodes)})`);
    }
    if (!clusterNodes.includes(to)) {
      throw invalid(`node_mapping maps node ${from} onto ${to}, which is not in this cluster (nodes: ${list(clusterNodes)})`);
    }
  }
  if (backupNodes.length !== clusterNodes.length) {
    throw invalid(
      `backup ${id} was taken on ${backupNodes.length} node(s) (${list(backupNodes)}) and this cluster has ${clusterNodes.length} ` +
        `(${list(clusterNodes)}): a backup restores only onto a cluster with as many nodes`,
    );
  }
  const plan = new Map<string, string>();
  const taken = new Map<string, string>();
  const unmapped: string[] = [];
  for (const node of backupNodes) {
    const target = nodeMapping[node] ?? node;
    if (!clusterNodes.includes(target)) {
      unmapped.push(node);
      continue;
    }
    const other = taken.get(target);
    if (other !== undefined) throw invalid(`node_mapping maps both backup nodes ${other} and ${node} onto node ${target}`);
    taken.set(target, node);
    plan.set(node, target);
  }
  if (unmapped.length > 0) {
    const free = clusterNodes.filter((node) => !taken.has(node));
    throw invalid(
      `backup ${id} holds data of node(s) ${list(unmapped)}, not in this cluster (nodes: ${list(clusterNodes)}): ` +
        `map ${unmapped.length === 1 ? 'it' : 'them'} onto ${list(free)} with node_mapping`,
    );
  }
  return plan;
}
