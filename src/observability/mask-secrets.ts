/**
 * What a secret looks like, in one place: every log line, error message and validation message
 * streamkit writes passes what it echoes of user configuration through {@link maskSecrets} or
 * {@link maskSecretText}. The rules are listed in docs/observability.md ("What is masked"); a
 * change here is a change there.
 */

/** What a masked secret is replaced with. */
export const MASK = '***';

/**
 * Field names whose values are credentials whatever their shape: a SASL block, a token, a password,
 * a private key, an Authorization header. Matched anywhere in the name, in any case, so
 * `dbPassword`, `client_secret`, `x-api-key` and `sasl.password` are caught; not a bare `pass`
 * prefix (`passengerCount` is data), and not `key` alone (a record's key is data, see `TLS_KEY`).
 */
const SECRET_KEY =
  /passw(?:or)?d|pwd|passphrase|^pass$|secret|token|sasl|jaas|api[-_.]?key|credential|authori[sz]ation|private[-_.]?key|^auth$|cookie|bearer/i;

/** Fields of TLS options that hold private material: `ssl.key`, `tls.pfx` (`passphrase` is a secret anywhere). */
const TLS_PRIVATE_FIELD = /^(?:key|keys|pfx|privateKey)$/i;
/** Names of objects holding TLS options: `ssl`, `tls`, `sslOptions`, `kafkaTls`, `kafka_tls`: `ssl` or `tls` as a word. */
const TLS_OBJECT = /(?:^|[^a-z])(?:ssl|tls)(?:$|[^a-z])/;

/** A PEM private key, whatever its kind (RSA, EC, ENCRYPTED, OPENSSH); a block cut short is masked to the end. */
const PEM_PRIVATE_KEY = /(-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----)[\s\S]*?(?:-----END \2-----|$)/g;
/** `Authorization: Basic …`, `authorization=…` in text (headers written into a message). */
const AUTHORIZATION_TEXT = /((?:proxy-)?authori[sz]ation["']?\s*[:=]\s*["']?)(?:(?:Basic|Bearer|Digest|Negotiate|Token)\s+)?[^\s"',;]+/gi;
/** A bearer token on its own: `Bearer eyJhbGciOi…`. */
const BEARER_TEXT = /(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g;
/** Names whose value is a secret when text assigns one (`password=…`): the words of `SECRET_KEY` that are not prose. */
const SECRET_NAME = String.raw`(?:passw(?:or)?d|pwd|passphrase|secret|token|api[-_.]?key|credentials?|private[-_.]?key|jaas\.config)[\w.-]{0,40}`;
/**
 * `password=…`, `api_key=…` (a query string, a `key=value` log line) and `"token": "…"` (JSON or
 * JavaScript text): a secret-looking name, then `=`, or a name in quotes then `:`, then the value
 * (quoted, or up to a space or separator). An unquoted `name: …` is prose ("no credentials: …").
 */
const SECRET_ASSIGNMENT = new RegExp(
  String.raw`(${SECRET_NAME}(?:\s*=|["']\s*:)\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s"',;&}\]]+)`,
  'gi',
);
/** Objects nested deeper than this are not walked: a log line is not the place for them. */
const MAX_DEPTH = 64;

/**
 * Returns a copy of `value` safe to log or to put in an error message. Values under secret-looking
 * field names (password, passphrase, secret, token, sasl, apiKey, credentials, authorization,
 * privateKey, cookie…), and `key`/`pfx` of TLS options (`ssl.key`), become `'***'` at any depth;
 * every string, field name included, goes through {@link maskSecretText}. Errors become
 * `{ name, message, code?, cause? }`, bytes `'[N bytes]'`, cycles `'[circular]'`.
 * @param value anything: options objects, errors, strings.
 * @returns a masked copy; `value` itself is left untouched.
 * @example
 * maskSecrets({ brokers: ['kafka://app:hunter2@b1:9092'], sasl: { mechanism: 'plain', password: 'x' }, ssl: { key: pem } })
 * // → { brokers: ['kafka://***@b1:9092'], sasl: '***', ssl: { key: '***' } }
 * @see maskSecretText, isSecretKey
 */
export function maskSecrets(value: unknown): unknown {
  return mask(value, new WeakSet(), 0, false);
}

/**
 * Masks the secrets that can hide inside free text: the userinfo of URLs (`https://user:pw@host` →
 * `https://***@host`) and of bare addresses (`app:pw@b1:9092` → `***@b1:9092`), the body of PEM
 * private keys, Authorization header values, bearer tokens, and the value of `password=…`,
 * `"token":"…"`-like assignments. Text with none of these is returned unchanged.
 * @param text a message, an address, a URL, a certificate bundle.
 * @example
 * maskSecretText('cannot reach app:hunter2@b1:9092'); // 'cannot reach ***@b1:9092'
 * @see maskSecrets
 */
export function maskSecretText(text: string): string {
  // Cheap screens first: most text (every log message) has none of the markers.
  if (text.includes('@')) text = maskUserinfo(text);
  if (text.includes('-----BEGIN')) text = text.replace(PEM_PRIVATE_KEY, `$1\n${MASK}\n-----END $2-----`);
  if (/[:=]/.test(text)) {
    text = text.replace(AUTHORIZATION_TEXT, `$1${MASK}`).replace(SECRET_ASSIGNMENT, (_, name: string, v: string) => name + quoted(v));
  }
  if (/bearer/i.test(text)) text = text.replace(BEARER_TEXT, `$1${MASK}`);
  return text;
}

/**
 * Masks the userinfo of URLs and addresses in `text`; the name this library first gave
 * {@link maskSecretText}, which it now is: it masks every secret pattern in text.
 * @param text any text.
 * @example maskUrlCredentials('kafka://app:hunter2@b1:9092'); // 'kafka://***@b1:9092'
 */
export function maskUrlCredentials(text: string): string {
  return maskSecretText(text);
}

/**
 * Whether a field called `key` holds a credential whatever its value (password, sasl, secret,
 * token, apiKey, credentials, authorization, privateKey, cookie…). `key` alone is not one: TLS
 * options' `key` is masked by {@link maskSecrets} from where it sits (`ssl.key`).
 * @param key a field name, in any case or spelling (`dbPassword`, `client_secret`, `X-Api-Key`).
 * @example isSecretKey('sasl'); // true
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A user-given value as an error or validation message shows it: strings as JSON text, objects as
 * JSON, secrets masked. For messages that echo configuration (`got "app:***@b1:9092"`).
 * @param value what the user passed.
 * @example echoMasked('app:hunter2@b1'); // '"***@b1"'
 */
export function echoMasked(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(maskSecretText(value));
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(maskSecrets(value)) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/** Whether a field named `key` holds TLS options: `ssl` or `tls` is one of its words (camelCase, snake_case, kebab-case). */
function isTlsObjectName(key: string): boolean {
  return TLS_OBJECT.test(key.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());
}

/**
 * Masks the userinfo before each `@` that a host follows: in a URL (`scheme://user:password@` or
 * `scheme://token@`) all of it; without a scheme (`app:hunter2@b1:9092`) when it holds a `:`, from
 * the user name on. A password holding `@` is masked whole, as URL parsers read the last `@` as
 * the end of the userinfo. The text between two `@` is looked at once, so this is linear in the text.
 */
function maskUserinfo(text: string): string {
  let out = '';
  let copied = 0;
  let previousAt = -1;
  let previousMasked = false;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    const segmentFrom = previousAt + 1;
    previousAt = at;
    let start = at;
    while (start > segmentFrom && !isUserinfoDelimiter(text.charCodeAt(start - 1))) start--;
    if (previousMasked && start === segmentFrom && isHostStart(text.charCodeAt(at + 1))) {
      // The password went on past the previous `@`: the userinfo masked there ends here instead.
      copied = at;
      continue;
    }
    let from = -1;
    if (start < at && text.startsWith('://', start - 3)) {
      from = start;
    } else {
      let colon = start;
      while (colon < at && text.charCodeAt(colon) !== 58) colon++;
      if (colon > start && colon < at) {
        let user = colon;
        while (user > start && !isUserNameDelimiter(text.charCodeAt(user - 1))) user--;
        if (user < colon) from = user;
      }
    }
    previousMasked = from >= 0 && isHostStart(text.charCodeAt(at + 1));
    if (!previousMasked) continue;
    out += text.slice(copied, from) + MASK;
    copied = at;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Characters a userinfo cannot span: white space, quotes, angle brackets, `/`. */
function isUserinfoDelimiter(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 47;
}

/** Characters before a user name in text (`brokers=app:pw@…`, `[app:pw@…]`): brackets and separators. */
function isUserNameDelimiter(c: number): boolean {
  return c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125 || c === 44 || c === 59 || c === 61 || c === 58;
}

/** A host name, an IP address or an IPv6 literal starts here. */
function isHostStart(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 91;
}

function quoted(value: string): string {
  const q = value[0];
  return q === '"' || q === "'" ? `${q}${MASK}${q}` : MASK;
}

function mask(value: unknown, seen: WeakSet<object>, depth: number, inTls: boolean): unknown {
  if (typeof value === 'string') return maskSecretText(value);
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    return value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
    return maskObject(value, seen, depth, inTls);
  } catch {
    // A revoked Proxy or a throwing getter: nothing of it can be shown, so nothing of it can leak.
    return '[unreadable]';
  } finally {
    seen.delete(value);
  }
}

function maskObject(value: object, seen: WeakSet<object>, depth: number, inTls: boolean): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: maskSecretText(String(value.message)) };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = mask(code, seen, depth + 1, false);
    if (value.cause !== undefined) out.cause = mask(value.cause, seen, depth + 1, false);
    return out;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof URL) return maskSecretText(value.href);
  if (Array.isArray(value)) return value.map((item) => mask(item, seen, depth + 1, inTls));
  if (value instanceof Map) return mask(Object.fromEntries(value), seen, depth, inTls);
  if (value instanceof Set) return mask([...value], seen, depth, inTls);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const secret = isSecretKey(key) || (inTls && TLS_PRIVATE_FIELD.test(key));
    let item: unknown;
    try {
      item = (value as Record<string, unknown>)[key];
    } catch {
      out[maskSecretText(key)] = '[unreadable]';
      continue;
    }
    out[maskSecretText(key)] = secret && item !== undefined && item !== null ? MASK : mask(item, seen, depth + 1, isTlsObjectName(key));
  }
  return out;
}
