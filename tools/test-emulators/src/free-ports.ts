/**
 * Ports for processes that must be told theirs before they start (emulators,
 * cluster nodes that list each other). A port is only probed, then released
 * for the process to take, so something else may bind it in between.
 *
 * Asking the kernel (`listen(0)`) hands out ports of the ephemeral range, the
 * same range every outgoing connection takes its local port from: in a full
 * parallel test run, hundreds of connections to the emulators a second are
 * enough that a node restarting on its port finds it taken (`EADDRINUSE`,
 * seen in CI). So ports are drawn at random from below that range, where
 * only another explicit pick can land, and each is probed before use.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** Lowest port drawn: above the well-known services a developer's machine runs (1024–9999). */
const LOWEST = 10_000;
/** Where the kernel's own picks start when it does not say (IANA's range; macOS and Windows use it). */
const IANA_EPHEMERAL_LOW = 49_152;
/** Draws per port before giving up: each fails only if the port is taken, which is rare below the range. */
const ATTEMPTS = 200;

/** The first port the kernel hands out by itself; on Linux its configured range. */
export function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > 0) return low;
  } catch {
    // not Linux: the IANA default
  }
  return IANA_EPHEMERAL_LOW;
}

/** A TCP port of 127.0.0.1 that was free a moment ago, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` distinct ports of 127.0.0.1, free a moment ago and outside the
 * ephemeral range. Every probe stays bound until all are picked, so the same
 * port is never handed out twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const high = ephemeralLow() - 1;
  if (high - LOWEST < 1_000) throw new Error(`the ephemeral port range starts at ${high + 1}: too few ports below it to pick from`);
  const probes: Server[] = [];
  try {
    for (let i = 0; i < count; i++) probes.push(await probeFreePort(LOWEST, high));
    return probes.map((probe) => (probe.address() as { port: number }).port);
  } finally {
    await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  }
}

async function probeFreePort(low: number, high: number): Promise<Server> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    const probe = createServer();
    probe.unref();
    const bound = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(true));
    });
    if (bound) return probe;
  }
  throw new Error(`no free port between ${low} and ${high} after ${ATTEMPTS} tries`);
}
