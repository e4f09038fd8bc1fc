/** Helpers of the observability tests: a seeded class, a backup and a restore through the REST API, /metrics parsed. */
import { expect } from 'vitest';
import { pollStatus } from './backup-support.ts';
import type { TestServer } from './helpers.ts';

export async function seedBooks(server: TestServer, count = 200): Promise<void> {
  expect((await server.call('POST', '/schema', { class: 'Book' })).status).toBe(200);
  const objects = Array.from({ length: count }, (_, i) => ({ class: 'Book', properties: { title: `book ${i} ${'x'.repeat(200)}` } }));
  expect((await server.call('POST', '/batch/objects', { objects })).status).toBe(200);
}

/** A backup and a restore of it (the class dropped in between); the final status bodies. */
export async function backupAndRestore(server: TestServer, id: string) {
  expect((await server.call('POST', '/backups/filesystem', { id })).status).toBe(200);
  const backup = await pollStatus(server.url, `/backups/filesystem/${id}`);
  expect(backup.status).toBe('SUCCESS');
  expect((await server.call('DELETE', '/schema/Book')).status).toBe(200);
  expect((await server.call('POST', `/backups/filesystem/${id}/restore`, {})).status).toBe(200);
  const restore = await pollStatus(server.url, `/backups/filesystem/${id}/restore`);
  expect(restore.status).toBe('SUCCESS');
  return { backup, restore };
}

/** One sample of the Prometheus text format: `name{a="b",...} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples: Sample[] = [];
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when there is none. */
// biome-ignore lint/suspicious/noShadowRestrictedNames: `valueOf` reads one metric's value; never used as Object.prototype.valueOf
export function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
