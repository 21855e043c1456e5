import { describeError, StreamkitError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { echoMasked, maskSecretText } from '../observability/mask-secrets.js';

/** Where a Schema Registry is and how to log in to it. */
export interface SchemaRegistryOptions {
  /**
   * Base URL, for example `http://localhost:8081`. Credentials written into it
   * (`https://key:secret@host`) are taken out and sent as HTTP basic auth, as with `auth`.
   */
  url: string;
  /** HTTP basic auth (Confluent Cloud: API key and secret). Never logged, never in an error. */
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
    if (options === null || typeof options !== 'object') throw new TypeError('registry: options must be an object with a "url"');
    checkOptions('registry', options, ['url', 'auth', 'timeoutMs', 'fetch']);
    const { url, auth } = parseRegistryUrl(options.url);
    if (auth && options.auth) throw new TypeError('registry: give credentials once, in option "auth" or in the URL, not both');
    const credentials = options.auth ?? auth;
    if (credentials && (typeof credentials.username !== 'string' || typeof credentials.password !== 'string')) {
      throw new TypeError('registry: option "auth" must be { username: string, password: string }');
    }
    if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new RangeError(`registry: option "timeoutMs" must be a positive integer, got ${echoMasked(options.timeoutMs)}`);
    }
    if (options.fetch !== undefined && typeof options.fetch !== 'function')
      throw new TypeError('registry: option "fetch" must be a function');
    this.url = url;
    if (credentials) this.auth = 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
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

  /**
   * One request to the registry and its JSON answer. Errors say what happened: no answer at all
   * (`BROKER_UNREACHABLE`: refused, unknown host, no answer within `timeoutMs`), or what the
   * registry answered (`SOURCE_FAILED`: its HTTP status and its own error code and message).
   */
  private async request(path: string, init: { method: string; body?: string }): Promise<unknown> {
    const what = `${init.method} ${path}`;
    const headers: Record<string, string> = {
      Accept: 'application/vnd.schemaregistry.v1+json, application/json',
    };
    if (init.body !== undefined) headers['Content-Type'] = 'application/vnd.schemaregistry.v1+json';
    if (this.auth) headers.Authorization = this.auth;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.url + path, {
        method: init.method,
        headers,
        body: init.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      throw this.requestFailure(what, cause);
    }
    if (!response.ok) {
      // 409 on registering is the registry's compatibility check refusing the schema
      const meaning =
        response.status === 409 && init.method === 'POST'
          ? " (schema incompatible with the subject's earlier versions)"
          : response.status === 401 || response.status === 403
            ? ' (credentials refused: check option "auth" or the URL\'s user info)'
            : '';
      throw new StreamkitError(
        'SOURCE_FAILED',
        `schema registry ${this.url}: ${what} answered ${response.status}${meaning}: ${registryReason(text)}`,
        {
          retriable: response.status >= 500 || response.status === 429,
        },
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new StreamkitError(
        'SOURCE_FAILED',
        `schema registry ${this.url}: ${what} answered ${response.status} with a body that is not JSON: ${registryReason(text, 200)}`,
      );
    }
  }

  /** A request that got no answer: unreachable when the network said so or the time ran out, else what went wrong. */
  private requestFailure(what: string, cause: unknown): StreamkitError {
    const name = (cause as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError') {
      return new StreamkitError(
        'BROKER_UNREACHABLE',
        `schema registry ${this.url} did not answer ${what} within ${this.timeoutMs} ms (timeoutMs)`,
        {
          cause,
          retriable: true,
        },
      );
    }
    const network = networkErrorCode(cause);
    if (network) {
      return new StreamkitError('BROKER_UNREACHABLE', `schema registry ${this.url} unreachable (${what}): ${network}`, {
        cause,
        retriable: true,
      });
    }
    return new StreamkitError(
      'SOURCE_FAILED',
      `schema registry ${this.url}: ${what} failed before an answer: ${maskSecretText(describeCause(cause))}`,
      {
        cause,
      },
    );
  }
}

/** Connection-level failures: the registry was not reached, or the connection broke before its answer. */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The network error code (with its message) in `error` or its causes, if it is one of {@link NETWORK_ERRORS}. */
function networkErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERRORS.has(code)) {
      const message = (e as { message?: unknown }).message;
      return maskSecretText(typeof message === 'string' && message.length > 0 ? message : code);
    }
  }
  return undefined;
}

/** An error and its first cause, as one line (fetch reports "fetch failed" and puts the reason in `cause`). */
function describeCause(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause === undefined ? describeError(error) : `${describeError(error)} (${describeError(cause)})`;
}

/**
 * Splits a registry URL into the URL without credentials (no trailing slash) and the basic-auth
 * credentials its user info held, percent-decoded.
 */
function parseRegistryUrl(text: unknown): { url: string; auth?: { username: string; password: string } } {
  let url: URL | undefined;
  try {
    if (typeof text === 'string' && /^https?:\/\//i.test(text)) url = new URL(text);
  } catch {
    // reported below
  }
  if (!url) throw new TypeError(`registry: option "url" must be an http(s) URL, got ${echoMasked(text)}`);
  const auth =
    url.username || url.password ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  return { url: url.href.replace(/\/+$/, ''), auth };
}

/**
 * The `message` and `error_code` of a registry's JSON error body, else the body itself; cut at
 * `max` characters (a compatibility refusal lists every difference found) and masked.
 */
function registryReason(text: string, max = 1000): string {
  let reason = text;
  try {
    const body = JSON.parse(text) as { message?: unknown; error_code?: unknown };
    if (body && typeof body.message === 'string') {
      reason = body.error_code === undefined ? body.message : `${body.message} (error_code ${String(body.error_code)})`;
    }
  } catch {
    // not JSON: a proxy's page, say
  }
  if (reason.length === 0) reason = '(empty body)';
  return maskSecretText(reason.length > max ? `${reason.slice(0, max)}…` : reason);
}
