import { StreamkitError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';

/** Where a Schema Registry is and how to log in to it. */
export interface SchemaRegistryOptions {
  /** Base URL, for example `http://localhost:8081`. */
  url: string;
  /** HTTP basic auth (Confluent Cloud: API key and secret). Never logged. */
  auth?: { username: string; password: string };
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Replaces the global `fetch`, for proxies or instrumentation. */
  fetch?: typeof fetch;
}

/**
 * A minimal Confluent Schema Registry REST client: register a schema under a subject and fetch a
 * schema by id, both cached for the life of the client (schemas under an id never change).
 * Works with Confluent Schema Registry, Karapace, Redpanda and Apicurio's Confluent API.
 *
 * @example
 * const registry = new SchemaRegistryClient({ url: 'http://localhost:8081' });
 * const id = await registry.register('trips-value', tripSchema);
 * const schema = await registry.getSchema(id);
 * @see avroSerde
 */
export class SchemaRegistryClient {
  readonly url: string;
  private readonly auth?: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly byId = new Map<number, Promise<unknown>>();
  private readonly registered = new Map<string, Promise<number>>();

  /**
   * @param options - the registry `url`, optional basic `auth`, `timeoutMs` and `fetch`
   */
  constructor(options: SchemaRegistryOptions) {
    checkOptions('registry', options ?? {}, ['url', 'auth', 'timeoutMs', 'fetch']);
    if (!options || typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new TypeError('registry: option "url" must be an http(s) URL');
    }
    if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new RangeError('registry: option "timeoutMs" must be a positive integer');
    }
    this.url = options.url.replace(/\/+$/, '');
    if (options.auth) {
      this.auth = 'Basic ' + Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64');
    }
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * Registers `schema` under `subject` (idempotent: an identical schema returns its existing id).
   *
   * @param subject - usually `<topic>-value` or `<topic>-key`
   * @param schema - the Avro schema as an object or JSON text
   * @returns the registry's global schema id
   */
  register(subject: string, schema: object | string): Promise<number> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const cacheKey = `${subject}\u0000${text}`;
    let id = this.registered.get(cacheKey);
    if (!id) {
      id = this.request(`/subjects/${encodeURIComponent(subject)}/versions`, {
        method: 'POST',
        body: JSON.stringify({ schemaType: 'AVRO', schema: text }),
      }).then((body) => {
        const value = (body as { id?: unknown }).id;
        if (typeof value !== 'number') throw new StreamkitError('SOURCE_FAILED', `registry ${this.url}: no id in register response`);
        this.byId.set(value, Promise.resolve(JSON.parse(text)));
        return value;
      });
      // a failed request must not poison the cache: the next call retries
      id.catch(() => this.registered.delete(cacheKey));
      this.registered.set(cacheKey, id);
    }
    return id;
  }

  /**
   * Fetches the schema registered under `id`.
   *
   * @param id - a global schema id, as read from a message's Confluent frame
   * @returns the parsed Avro schema
   */
  getSchema(id: number): Promise<unknown> {
    let schema = this.byId.get(id);
    if (!schema) {
      schema = this.request(`/schemas/ids/${id}`, { method: 'GET' }).then((body) => {
        const text = (body as { schema?: unknown }).schema;
        if (typeof text !== 'string') throw new StreamkitError('SOURCE_FAILED', `registry ${this.url}: no schema in response for id ${id}`);
        return JSON.parse(text) as unknown;
      });
      schema.catch(() => this.byId.delete(id));
      this.byId.set(id, schema);
    }
    return schema;
  }

  private async request(path: string, init: { method: string; body?: string }): Promise<unknown> {
    const headers: Record<string, string> = {
      Accept: 'application/vnd.schemaregistry.v1+json, application/json',
    };
    if (init.body !== undefined) headers['Content-Type'] = 'application/vnd.schemaregistry.v1+json';
    if (this.auth) headers.Authorization = this.auth;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url + path, {
        method: init.method,
        headers,
        body: init.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new StreamkitError('BROKER_UNREACHABLE', `schema registry ${this.url} unreachable (${init.method} ${path})`, {
        cause,
        retriable: true,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      // 409 on registering is the registry's compatibility check refusing the schema
      const what = response.status === 409 && init.method === 'POST' ? " (schema incompatible with the subject's earlier versions)" : '';
      // the registry's own message is the useful part; it carries no secret
      throw new StreamkitError(
        'SOURCE_FAILED',
        `schema registry ${this.url}: ${init.method} ${path} answered ${response.status}${what}: ${registryReason(text)}`,
        {
          retriable: response.status >= 500,
        },
      );
    }
    return JSON.parse(text) as unknown;
  }
}

/**
 * The `message` and `error_code` of a registry's JSON error body, else the body itself; cut at
 * 1000 characters (a compatibility refusal lists every difference found).
 */
function registryReason(text: string): string {
  let reason = text;
  try {
    const body = JSON.parse(text) as { message?: unknown; error_code?: unknown };
    if (body && typeof body.message === 'string') {
      reason = body.error_code === undefined ? body.message : `${body.message} (error_code ${String(body.error_code)})`;
    }
  } catch {
    // not JSON: a proxy's page, say
  }
  return reason.length > 1000 ? `${reason.slice(0, 1000)}…` : reason;
}
