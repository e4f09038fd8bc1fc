/**
 * A TCP proxy on loopback for failure tests: it passes traffic, slows what
 * the client sends (so an upload is surely in flight when a process is
 * killed), or drops everything both ways while keeping connections open (a
 * node that is up but unreachable, as behind a broken network).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = { readonly kind: 'pass' } | { readonly kind: 'drop' } | { readonly kind: 'throttle'; readonly bytesPerSecond: number };

export class TcpProxy {
  readonly port: number;
  #mode: ProxyMode = { kind: 'pass' };
  /** Bytes passed so far, both ways. */
  bytes = 0;
  /** Bytes received while dropping. */
  dropped = 0;

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Leaving `drop` resets every connection, as a network that comes back would: requests lost meanwhile are not answered late. */
  set mode(mode: ProxyMode) {
    if (this.#mode.kind === 'drop' && mode.kind !== 'drop') for (const socket of this.#sockets) socket.destroy();
    this.#mode = mode;
  }
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listens on a free loopback port and forwards to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.#accept(client, host, port));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  #accept(client: Socket, host: string, port: number): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined);
    if (this.mode.kind === 'drop') {
      client.on('data', (chunk: Buffer) => (this.dropped += chunk.length)); // swallowed: the caller waits for an answer that never comes
      return;
    }
    const upstream = connect(port, host);
    this.#sockets.add(upstream);
    upstream.on('close', () => {
      this.#sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    this.#pipe(client, upstream);
    this.#pipe(upstream, client);
  }

  #pipe(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode;
      if (mode.kind === 'drop') {
        this.dropped += chunk.length;
        return;
      }
      this.bytes += chunk.length;
      to.write(chunk);
      if (mode.kind === 'throttle') {
        from.pause();
        setTimeout(() => from.resume(), (chunk.length / mode.bytesPerSecond) * 1000);
      }
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
