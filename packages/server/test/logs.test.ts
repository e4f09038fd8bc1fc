import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, onTestFinished, test } from 'vitest';
import { pollStatus } from './backup-support.ts';
import { scratch, startTestServer, type TestServer } from './helpers.ts';
import { backupAndRestore, seedBooks } from './observe-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

type Line = Record<string, unknown>;

describe('structured logs', { timeout: 120_000 }, () => {
  test('one backup and its restore: a JSON line at every start, status change and end, in order', async () => {
    const lines: string[] = [];
    server = await startTestServer({}, { logDestination: (line) => lines.push(line) });
    await seedBooks(server);
    const { backup } = await backupAndRestore(server, 'logged');
    expect((await server.call('POST', '/backups/filesystem/logged/verify', {})).status).toBe(200);
    expect((await pollStatus(server.url, '/backups/filesystem/logged/verify')).status).toBe('SUCCESS');
    await server.stop();
    server = undefined;

    const records = lines.map((line) => JSON.parse(line) as Line);
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const operations = records.filter((record) => record.operation !== undefined);
    expect(operations.map((record) => [record.operation, record.msg, record.status])).toEqual([
      ['backup', 'backup started', 'STARTED'],
      ['backup', 'backup TRANSFERRING', 'TRANSFERRING'],
      ['backup', 'backup TRANSFERRED', 'TRANSFERRED'],
      ['backup', 'backup ended SUCCESS', 'SUCCESS'],
      ['restore', 'restore started', 'STARTED'],
      ['restore', 'restore TRANSFERRING', 'TRANSFERRING'],
      ['restore', 'restore TRANSFERRED', 'TRANSFERRED'],
      ['restore', 'restore FINALIZING', 'FINALIZING'],
      ['restore', 'restore ended SUCCESS', 'SUCCESS'],
      ['verify', 'verify started', 'STARTED'],
      ['verify', 'verify ended SUCCESS', 'SUCCESS'],
    ]);
    const bytes = (backup.progress as { bytesTotal: number }).bytesTotal;
    for (const record of operations) {
      expect(record).toMatchObject({ level: 'info', id: 'logged', backend: 'filesystem', node: 'node1' });
      if (record.operation === 'verify') continue;
      expect(typeof record.time).toBe('string');
      expect(typeof record.bytes).toBe('number');
    }
    const ends = operations.filter((record) => String(record.msg).includes('ended') && record.operation !== 'verify');
    for (const end of ends) {
      expect(end.bytes).toBe(bytes);
      expect(end.durationMs).toBeGreaterThanOrEqual(0);
      expect(end).not.toHaveProperty('errorCode');
    }
    expect(operations[2]!.bytes).toBe(bytes); // TRANSFERRED: every byte is up
  });

  test('a failed operation ends with an error line carrying its code; LOG_FORMAT=text and LOG_LEVEL apply', async () => {
    const lines: string[] = [];
    server = await startTestServer({ LOG_FORMAT: 'text', LOG_LEVEL: 'warning' }, { logDestination: (line) => lines.push(line) });
    await seedBooks(server, 20);
    expect((await server.call('POST', '/backups/filesystem', { id: 'corrupted' })).status).toBe(200);
    expect((await pollStatus(server.url, '/backups/filesystem/corrupted')).status).toBe('SUCCESS');
    // Damage every chunk, then restore: CORRUPT.
    const { readdir } = await import('node:fs/promises');
    const chunkDir = join(server.root, 'backups', 'corrupted', 'node1', 'Book');
    for (const name of await readdir(chunkDir)) writeFileSync(join(chunkDir, name), 'damaged');
    expect((await server.call('DELETE', '/schema/Book')).status).toBe(200);
    expect((await server.call('POST', '/backups/filesystem/corrupted/restore', {})).status).toBe(200);
    expect((await pollStatus(server.url, '/backups/filesystem/corrupted/restore')).status).toBe('FAILED');

    // Warnings and up only: the start and status lines (info) are left out.
    expect(lines.some((line) => line.includes(' INFO '))).toBe(false);
    const failed = lines.find((line) => line.includes('restore ended FAILED'));
    expect(failed).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR restore ended FAILED /);
    expect(failed).toMatch(/ operation=restore id=corrupted backend=filesystem status=FAILED bytes=\d+ durationMs=\d+ errorCode=CORRUPT error="/);
    expect(lines.some((line) => / ERROR restore chunk failed .*errorCode=CORRUPT/.test(line))).toBe(true);
  });

  test('bad LOG_LEVEL or LOG_FORMAT is refused at start, naming it', async () => {
    await expect(startTestServer({ LOG_LEVEL: 'loud' })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringContaining('LOG_LEVEL') });
    await expect(startTestServer({ LOG_FORMAT: 'xml' })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringContaining('LOG_FORMAT') });
  });
});

// Real-looking credentials of all three clouds (AWS's documented example keys, an Azurite-shaped
// account key, a service account with a PEM key), the node's API key and cluster secret.
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AWS_TOKEN = 'FwoGZXIvYXdzEBYaDExampleSessionTokenValue0123456789abcdef';
const AZURE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n';
const API_KEY = 'prod-api-key-7f3c9a1e5b';
const SECRETS = [AWS_KEY_ID, AWS_SECRET, AWS_TOKEN, AZURE_KEY, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj', API_KEY];

describe('no secret in a log line, a status or an error', { timeout: 120_000 }, () => {
  test('with every cloud configured against unreachable endpoints, and requests quoting the secrets', async () => {
    const dir = scratch('secrets');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(dir, { recursive: true });
    const keyFile = join(dir, 'service-account.json');
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        project_id: 'p',
        private_key_id: 'abc123def456',
        private_key: PEM,
        client_email: 'b@p.iam.gserviceaccount.com',
      }),
    );
    const lines: string[] = [];
    server = await startTestServer(
      {
        ENABLE_MODULES: 'backup-filesystem,backup-s3,backup-gcs,backup-azure',
        AUTHENTICATION_APIKEY_ENABLED: 'true',
        AUTHENTICATION_APIKEY_ALLOWED_KEYS: API_KEY,
        AWS_ACCESS_KEY_ID: AWS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: AWS_SECRET,
        AWS_SESSION_TOKEN: AWS_TOKEN,
        BACKUP_S3_BUCKET: 'backups',
        BACKUP_S3_ENDPOINT: '127.0.0.1:9',
        BACKUP_S3_USE_SSL: 'false',
        AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=prodaccount;AccountKey=${AZURE_KEY};BlobEndpoint=http://127.0.0.1:9/prodaccount;`,
        BACKUP_AZURE_CONTAINER: 'backups',
        GOOGLE_APPLICATION_CREDENTIALS: keyFile,
        STORAGE_EMULATOR_HOST: '127.0.0.1:9',
        BACKUP_GCS_BUCKET: 'backups',
        BACKUP_S3_PROGRESS_TIMEOUT_MS: '2000',
        BACKUP_GCS_PROGRESS_TIMEOUT_MS: '2000',
        BACKUP_AZURE_PROGRESS_TIMEOUT_MS: '2000',
        BACKUP_RETRY_ATTEMPTS: '1',
        LOG_LEVEL: 'debug',
      },
      { logDestination: (line) => lines.push(line), log: undefined },
    );
    const auth = { authorization: `Bearer ${API_KEY}` };
    const answers: unknown[] = [];
    const ask = async (method: string, path: string, body?: unknown) => {
      const answer = await server!.call(method, path, body, auth);
      answers.push(answer.body);
      return answer;
    };
    expect((await ask('POST', '/schema', { class: 'Book' })).status).toBe(200);
    // Each backend unreachable: the SDKs' errors are answered and logged.
    for (const backend of ['s3', 'gcs', 'azure']) {
      const answer = await ask('POST', `/backups/${backend}`, { id: `to-${backend}` });
      expect(answer.status).toBeGreaterThanOrEqual(400);
    }
    // Requests that quote the secrets back: a bucket and a path override, an id.
    await ask('POST', '/backups/s3', { id: 'quoted', config: { Bucket: AWS_SECRET } });
    await ask('POST', '/backups/filesystem', { id: 'quoted', config: { Path: `/nowhere/${AZURE_KEY}` } });
    await ask('GET', `/backups/azure/quoted?bucket=${encodeURIComponent(AZURE_KEY.slice(0, 40))}`);
    // A failed backup's recorded error, read back as its status, and listed.
    await ask('GET', '/backups/s3');
    const everything = [...lines, JSON.stringify(answers)].join('\n');
    expect(answers.length).toBeGreaterThan(5);
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    for (const secret of SECRETS) expect(everything).not.toContain(encodeURIComponent(secret));
    // And the redaction is what kept them out (the quoted bucket came back redacted).
    expect(JSON.stringify(answers)).toContain('[REDACTED]');
  });
});
