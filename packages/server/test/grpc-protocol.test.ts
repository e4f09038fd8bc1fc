import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../src/config.ts';
import { startTestServer, type TestServer } from './helpers.ts';

// The gRPC surface itself, with a plain grpc-js client: health, refusals, authentication, the port setting.
type Message = Record<string, any>;

const definition = protoLoader.loadSync(['weaviate.proto', 'health.proto'], {
  includeDirs: [fileURLToPath(new URL('../proto/', import.meta.url))],
  keepCase: true,
  longs: Number,
  enums: String,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition) as Message;

function unary(client: grpc.Client, method: string, request: Message, metadata = new grpc.Metadata()): Promise<Message> {
  return new Promise((resolve, reject) =>
    (client as unknown as Message)[method](request, metadata, (error: grpc.ServiceError | null, reply: Message) => (error ? reject(error) : resolve(reply))),
  );
}

describe('gRPC protocol', () => {
  let server: TestServer;
  let weaviateClient: grpc.Client;
  let healthClient: grpc.Client;

  beforeAll(async () => {
    server = await startTestServer();
    const address = `127.0.0.1:${server.grpcPort}`;
    weaviateClient = new loaded.weaviate.v1.Weaviate(address, grpc.credentials.createInsecure());
    healthClient = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    weaviateClient?.close();
    healthClient?.close();
    await server?.stop();
  });

  test('Health/Check answers SERVING on its own port', async () => {
    expect(server.grpcPort).not.toBe(server.port);
    expect(await unary(healthClient, 'Check', {})).toEqual({ status: 'SERVING' });
  });

  test('methods this server does not serve answer UNIMPLEMENTED', async () => {
    await expect(unary(weaviateClient, 'BatchDelete', {})).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(unary(weaviateClient, 'TenantsGet', {})).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    const unknown = await new Promise<grpc.ServiceError>((resolve) =>
      weaviateClient.makeUnaryRequest(
        '/weaviate.v1.Weaviate/NoSuchMethod',
        () => Buffer.alloc(0),
        (bytes) => bytes,
        {},
        (error) => resolve(error!),
      ),
    );
    expect(unknown.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  test('searches, filters and aggregations it cannot run are UNIMPLEMENTED, an unknown collection NOT_FOUND', async () => {
    await server.call('POST', '/schema', { class: 'Thing', properties: [{ name: 'name', dataType: ['text'] }] });
    await expect(unary(weaviateClient, 'Search', { collection: 'Thing', bm25_search: {} })).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    const byName = { operator: 'OPERATOR_EQUAL', target: { property: 'name' }, value_text: 'x' };
    await expect(unary(weaviateClient, 'Search', { collection: 'Thing', filters: byName })).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(unary(weaviateClient, 'Aggregate', { collection: 'Thing', objects_count: true, filters: byName })).rejects.toMatchObject({
      code: grpc.status.UNIMPLEMENTED,
    });
    await expect(unary(weaviateClient, 'Search', { collection: 'Nothing' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(await unary(weaviateClient, 'Aggregate', { collection: 'Thing', objects_count: true })).toMatchObject({ single_result: { objects_count: 0 } });
  });

  test('BatchObjects reports bad objects by index and writes the others', async () => {
    const reply = await unary(weaviateClient, 'BatchObjects', {
      objects: [
        { collection: 'Thing', uuid: '10000000-0000-4000-8000-000000000001', properties: { non_ref_properties: { fields: { name: { stringValue: 'a' } } } } },
        { collection: 'Thing', uuid: 'not-a-uuid' },
        { collection: 'Nothing', uuid: '10000000-0000-4000-8000-000000000002' },
      ],
    });
    expect(reply.errors.map((error: Message) => error.index)).toEqual([1, 2]);
    expect((await server.call('GET', '/objects/Thing/10000000-0000-4000-8000-000000000001')).body.properties).toEqual({ name: 'a' });
  });
});

test('with API keys, the data methods need a key and the health check stays open', async () => {
  const server = await startTestServer({ AUTHENTICATION_APIKEY_ENABLED: 'true', AUTHENTICATION_APIKEY_ALLOWED_KEYS: 'secret-key' });
  const address = `127.0.0.1:${server.grpcPort}`;
  const weaviateClient = new loaded.weaviate.v1.Weaviate(address, grpc.credentials.createInsecure()) as grpc.Client;
  const healthClient = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as grpc.Client;
  try {
    expect(await unary(healthClient, 'Check', {})).toEqual({ status: 'SERVING' });
    await expect(unary(weaviateClient, 'Aggregate', { collection: 'Thing', objects_count: true })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const withKey = new grpc.Metadata();
    withKey.set('authorization', 'Bearer secret-key');
    await expect(unary(weaviateClient, 'Aggregate', { collection: 'Thing', objects_count: true }, withKey)).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  } finally {
    weaviateClient.close();
    healthClient.close();
    await server.stop();
  }
});

test('GRPC_PORT sets the port (50051 by default, a free one beside PORT=0); a bad value is a CONFIG error', () => {
  expect(resolveConfig({}).grpcPort).toBe(50051);
  expect(resolveConfig({ PORT: '0' }).grpcPort).toBe(0);
  expect(resolveConfig({ GRPC_PORT: '6000' }).grpcPort).toBe(6000);
  expect(() => resolveConfig({ GRPC_PORT: 'x' })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
});

test('after close, the gRPC port no longer answers', async () => {
  const server = await startTestServer();
  const healthClient = new loaded.grpc.health.v1.Health(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure()) as grpc.Client;
  try {
    expect(await unary(healthClient, 'Check', {})).toEqual({ status: 'SERVING' });
    await server.stop();
    const deadline = new grpc.Metadata();
    await expect(
      new Promise((resolve, reject) =>
        (healthClient as unknown as Message).Check({}, deadline, { deadline: Date.now() + 2000 }, (error: unknown, reply: unknown) =>
          error ? reject(error) : resolve(reply),
        ),
      ),
    ).rejects.toMatchObject({ code: expect.any(Number) });
  } finally {
    healthClient.close();
  }
});
