/**
 * What SchemaRegistryClient errors say: what the registry answered (status, its error code and
 * message) when it answered, "unreachable" only when it was not reached, and never the password of
 * a URL with credentials (`https://key:secret@host`), which is sent as basic auth instead.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { StreamkitError } from '../../src/core/errors.js';
import { avroSerde } from '../../src/serde/avro-serde.js';
import { SchemaRegistryClient } from '../../src/serde/schema-registry-client.js';

const registryUrl = inject('schemaRegistryUrl');
const SECRET = 'Sw0rdf1sh-9x7';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** An HTTP server answering every request with `status` and `body`; records what it was sent. */
async function httpServer(
  status: number,
  body: string,
): Promise<{ url: string; requests: Array<{ url: string; authorization?: string }> }> {
  const requests: Array<{ url: string; authorization?: string }> = [];
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts and never answers. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

function withCredentials(url: string): string {
  return url.replace('://', `://app:${SECRET}@`);
}

async function failure(promise: Promise<unknown>): Promise<StreamkitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StreamkitError);
  return error as StreamkitError;
}

function expectNoSecret(error: Error): void {
  for (const text of [error.message, String(error.cause), JSON.stringify(error)]) expect(text).not.toContain(SECRET);
}

describe('SchemaRegistryClient errors', () => {
  it('a registry that answers 404 is quoted with its error code, not called unreachable; URL credentials go as basic auth', async () => {
    const seen: Array<{ url: string; authorization: string | null }> = [];
    const client = new SchemaRegistryClient({
      url: withCredentials(registryUrl),
      fetch: (input, init) => {
        seen.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
        return fetch(input, init);
      },
    });
    expect(client.url).toBe(registryUrl.replace(/\/+$/, ''));
    const error = await failure(client.getSchema(2_000_000_000));
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.message).toContain('GET /schemas/ids/2000000000 answered 404');
    expect(error.message).toMatch(/error_code 404\d\d/);
    expect(error.message).not.toMatch(/unreachable/i);
    expectNoSecret(error);
    expect(seen[0].url).not.toContain(SECRET);
    expect(seen[0].authorization).toBe(`Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`);
  });

  it('a registry that is not there is unreachable, and the error carries no password', async () => {
    const client = new SchemaRegistryClient({ url: `http://app:${SECRET}@127.0.0.1:${await closedPort()}` });
    const error = await failure(client.getSchema(7));
    expect(error.code).toBe('BROKER_UNREACHABLE');
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/^schema registry http:\/\/127\.0\.0\.1:\d+ unreachable \(GET \/schemas\/ids\/7\): .*ECONNREFUSED/);
    expectNoSecret(error);
  });

  it('a registry that accepts and never answers fails after timeoutMs, saying so', async () => {
    const port = await silentServer();
    const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 });
    const error = await failure(client.register('trips-value', { type: 'string' }));
    expect(error.code).toBe('BROKER_UNREACHABLE');
    expect(error.message).toBe(
      `schema registry http://127.0.0.1:${port} did not answer POST /subjects/trips-value/versions within 300 ms (timeoutMs)`,
    );
  });

  it('refused credentials are named as such, with what the registry said', async () => {
    const server = await httpServer(401, JSON.stringify({ error_code: 40101, message: 'Unauthorized' }));
    const client = new SchemaRegistryClient({ url: withCredentials(server.url) });
    const error = await failure(client.getSchema(1));
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.retriable).toBe(false);
    expect(error.message).toBe(
      `schema registry ${server.url}: GET /schemas/ids/1 answered 401 (credentials refused: check option "auth" or the URL's user info): Unauthorized (error_code 40101)`,
    );
    expect(server.requests[0].authorization).toBe(`Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`);
  });

  it('an answer that is not JSON (a proxy page) is named as such, and a 5xx is retriable', async () => {
    const page = await httpServer(200, '<html>gateway</html>');
    const error = await failure(new SchemaRegistryClient({ url: page.url }).getSchema(1));
    expect(error.message).toBe(
      `schema registry ${page.url}: GET /schemas/ids/1 answered 200 with a body that is not JSON: <html>gateway</html>`,
    );
    const down = await httpServer(503, 'upstream down');
    const unavailable = await failure(new SchemaRegistryClient({ url: down.url }).getSchema(1));
    expect(unavailable.message).toContain('answered 503: upstream down');
    expect(unavailable.retriable).toBe(true);
  });

  it('validation messages never echo a password', () => {
    const bad = [
      () => new SchemaRegistryClient({ url: `ftp://app:${SECRET}@registry:8081` }),
      () => new SchemaRegistryClient({ url: `app:${SECRET}@registry:8081` }),
      () => new SchemaRegistryClient({ url: `http://app:${SECRET}@registry:8081`, auth: { username: 'app', password: SECRET } }),
      () => new SchemaRegistryClient(`http://app:${SECRET}@registry:8081` as never),
      () => avroSerde({ type: 'string' }, { registry: { url: `ftp://app:${SECRET}@registry:8081` } }),
    ];
    for (const make of bad) {
      let thrown: unknown;
      try {
        make();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).not.toContain(SECRET);
    }
  });
});
