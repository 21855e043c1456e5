/** What a masked secret is replaced with. */
export const MASK = '***';

// Keys whose values are credentials whatever their shape: a SASL block, a token, a password.
// (Not a bare `pass` prefix: `passengerCount` is data.)
const SECRET_KEY = /passw(or)?d|passphrase|^pass$|secret|token|sasl|api[-_]?key|credential|authorization|private[-_]?key|^auth$|cookie/i;
// `scheme://user:password@host`: the userinfo part of a URL carries a password in clear.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi;

/**
 * Returns a copy of `value` safe to log: values under secret-looking keys (password, sasl, secret,
 * token, apiKey, credentials, authorization…) become `'***'`, and `user:pass@` in URLs inside any
 * string becomes `***@`. Errors become `{ name, message, code? }`; cycles become `'[circular]'`.
 * @param value anything: options objects, errors, strings.
 * @example
 * maskSecrets({ brokers: ['kafka://app:hunter2@b1:9092'], sasl: { mechanism: 'plain', password: 'x' } })
 * // → { brokers: ['kafka://***@b1:9092'], sasl: '***' }
 */
export function maskSecrets(value: unknown): unknown {
  return mask(value, new WeakSet());
}

/** Masks the `user:pass@` part of every URL in `text`. */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, `$1${MASK}@`);
}

/** Whether a field called `key` holds a credential and must never be logged. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function mask(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskUrlCredentials(value);
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    return value;
  }
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: maskUrlCredentials(value.message) };
      const code = (value as { code?: unknown }).code;
      if (code !== undefined) out.code = code;
      if (value.cause !== undefined) out.cause = mask(value.cause, seen);
      return out;
    }
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof URL) return maskUrlCredentials(value.href);
    if (Array.isArray(value)) return value.map((item) => mask(item, seen));
    if (value instanceof Map) return mask(Object.fromEntries(value), seen);
    if (value instanceof Set) return mask([...value], seen);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretKey(key) && item !== undefined && item !== null ? MASK : mask(item, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
