import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { echoMasked, isSecretKey, maskSecretText, maskSecrets, maskUrlCredentials } from '../../src/observability/mask-secrets.js';

const KEY_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';
const PEM_KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUXpublic\n-----END CERTIFICATE-----\n';

describe('maskSecrets', () => {
  it('masks values under secret-looking keys at any depth', () => {
    const masked = maskSecrets({
      brokers: ['b1:9092'],
      sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'hunter2' },
      ssl: { key: 'k', passphrase: 'pp' },
      registry: { url: 'http://r:8081', apiKey: 'AKIA', apiSecret: 's3', authToken: 't0k' },
      headers: { Authorization: 'Bearer abc', cookie: 'sid=1' },
      nested: [{ dbPassword: 'pw', clientSecret: 'cs', token: 'x' }],
      passengerCount: 2,
    });
    expect(masked).toEqual({
      brokers: ['b1:9092'],
      sasl: '***',
      ssl: { key: '***', passphrase: '***' },
      registry: { url: 'http://r:8081', apiKey: '***', apiSecret: '***', authToken: '***' },
      headers: { Authorization: '***', cookie: '***' },
      nested: [{ dbPassword: '***', clientSecret: '***', token: '***' }],
      passengerCount: 2,
    });
  });

  it('masks user:password@ in URLs inside any string, keeping host and path', () => {
    expect(maskUrlCredentials('kafka://app:hunter2@b1:9092/x')).toBe('kafka://***@b1:9092/x');
    expect(maskUrlCredentials('connect to https://user@registry:8081 and http://a:b@c/d')).toBe(
      'connect to https://***@registry:8081 and http://***@c/d',
    );
    expect(maskUrlCredentials('no credentials: http://registry:8081/subjects a@b.c')).toBe(
      'no credentials: http://registry:8081/subjects a@b.c',
    );
    expect(maskSecrets({ url: 'http://u:p@h:1' })).toEqual({ url: 'http://***@h:1' });
    expect(maskSecrets(new URL('http://u:p@h:1/x'))).toBe('http://***@h:1/x');
  });

  it('renders errors without secrets, keeps their code and cause', () => {
    const cause = Object.assign(new Error('ECONNREFUSED http://admin:pw@127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = new Error('broker unreachable', { cause });
    expect(maskSecrets({ error })).toEqual({
      error: {
        name: 'Error',
        message: 'broker unreachable',
        cause: { name: 'Error', message: 'ECONNREFUSED http://***@127.0.0.1:1', code: 'ECONNREFUSED' },
      },
    });
  });

  it('survives cycles and leaves the input untouched', () => {
    const input: Record<string, unknown> = { password: 'pw', list: [1, 2] };
    input.self = input;
    expect(maskSecrets(input)).toEqual({ password: '***', list: [1, 2], self: '[circular]' });
    expect(input.password).toBe('pw');
  });

  it('never lets a password through, whatever the surrounding object', () => {
    fc.assert(
      fc.property(
        fc.object({ maxDepth: 3 }),
        fc.string({ minLength: 6 }).filter((s) => /^[A-Za-z0-9]+$/.test(s)),
        (obj, secret) => {
          const withSecret = { ...obj, deep: { sasl: { password: secret } }, url: `https://user:${secret}@host/` };
          const text = JSON.stringify(maskSecrets(withSecret));
          // The secret may only survive where the random object itself contained the same text.
          const before = JSON.stringify(maskSecrets(obj));
          if (!before.includes(secret)) expect(text).not.toContain(secret);
        },
      ),
    );
  });

  it('masks the private parts of TLS options: ssl.key, tls.pfx, private keys inside a PEM bundle', () => {
    const masked = maskSecrets({
      kafka: { ssl: { key: PEM_KEY, cert: PEM_CERT + PEM_KEY, ca: [PEM_CERT] } },
      registry: { tls: { key: Buffer.from(PEM_KEY), pfx: Buffer.from('p12') } },
      sslOptions: { key: 'k' },
      record: { key: 'zone-161' },
    });
    expect(masked).toEqual({
      kafka: {
        ssl: {
          key: '***',
          cert: `${PEM_CERT}-----BEGIN PRIVATE KEY-----\n***\n-----END PRIVATE KEY-----\n`,
          ca: [PEM_CERT],
        },
      },
      registry: { tls: { key: '***', pfx: '***' } },
      sslOptions: { key: '***' },
      record: { key: 'zone-161' },
    });
  });

  it('never writes ssl.key into a log line, in text or JSON', () => {
    for (const json of [false, true]) {
      const lines: string[] = [];
      const log = createLogger({ level: 'debug', json, write: (line) => lines.push(line) });
      log.info({ kafka: { brokers: ['b1:9093'], ssl: { key: PEM_KEY, cert: PEM_CERT } } }, 'connecting');
      log.error(`tls options ${PEM_KEY}`);
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).not.toContain(KEY_BODY);
      expect(lines[0]).toContain('MIIDazCCAlOgAwIBAgIUXpublic');
    }
  });

  it('masks secrets in free text: bare userinfo, PEM keys, Authorization, bearer tokens, secret assignments', () => {
    const cases: Array<[string, string]> = [
      ['cannot reach app:hunter2@b1:9092', 'cannot reach ***@b1:9092'],
      ['["app:hunter2@b1:9092","b2:9092"]', '["***@b1:9092","b2:9092"]'],
      ['brokers=app:hunter2@b1:9092', 'brokers=***@b1:9092'],
      ['https://u:p@ss@registry/x@y', 'https://***@registry/x@y'],
      ['git https://ghp_token123@github.com/x', 'git https://***@github.com/x'],
      ['Authorization: Basic YXBwOmh1bnRlcjI=', 'Authorization: ***'],
      ['{"authorization":"Bearer abc.def"}', '{"authorization":"***"}'],
      ['sent Bearer eyJhbGciOi.x-y_z', 'sent Bearer ***'],
      ['GET /x?api_key=abc123&page=2', 'GET /x?api_key=***&page=2'],
      ['{"password":"p\\"w","user":"app"}', '{"password":"***","user":"app"}'],
      ["{ clientSecret: 's3' }", "{ clientSecret: 's3' }"],
      ["{ 'clientSecret': 's3' }", "{ 'clientSecret': '***' }"],
      [`${PEM_CERT}${PEM_KEY}`, `${PEM_CERT}-----BEGIN PRIVATE KEY-----\n***\n-----END PRIVATE KEY-----\n`],
      [
        `cut short: -----BEGIN RSA PRIVATE KEY-----\n${KEY_BODY}`,
        'cut short: -----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----',
      ],
    ];
    for (const [text, masked] of cases) expect(maskSecretText(text), text).toBe(masked);
    // prose and data stay as they are
    for (const text of [
      'no credentials: http://registry:8081/subjects a@b.c',
      'mail bob@example.com',
      'tokens: 5, passengers: 2',
      'window [10:00, 10:05) for key user-1',
      'Basic authentication failed',
    ]) {
      expect(maskSecretText(text)).toBe(text);
    }
  });

  it('echoes user values for messages, masked', () => {
    expect(echoMasked('app:hunter2@b1:9092')).toBe('"***@b1:9092"');
    expect(echoMasked(-1)).toBe('-1');
    expect(echoMasked(undefined)).toBe('undefined');
    expect(echoMasked({ password: 'x', url: 'http://a:b@h' })).toBe('{"password":"***","url":"http://***@h"}');
    expect(echoMasked(() => 'source')).toBe('a function');
  });

  it('renders bytes as their length and stops at a depth no log line needs', () => {
    expect(maskSecrets({ raw: Buffer.from('abc'), view: new Uint8Array(4) })).toEqual({ raw: '[3 bytes]', view: '[4 bytes]' });
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 200; i++) deep = { next: deep };
    expect(JSON.stringify(maskSecrets(deep))).toContain('[too deep]');
  });

  it('classifies keys', () => {
    for (const key of [
      'password',
      'PASSWORD',
      'passwd',
      'db_pwd',
      'sasl',
      'secret',
      'accessToken',
      'api_key',
      'X-Api-Key',
      'credentials',
      'privateKey',
      'Proxy-Authorization',
      'sasl.jaas.config',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ['passengerCount', 'user', 'username', 'brokers', 'topic', 'key', 'partition']) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it('never throws on values that cannot be read: a revoked Proxy, a throwing getter', () => {
    const { proxy, revoke } = Proxy.revocable({ password: 'hunter2' }, {});
    revoke();
    const getter = Object.defineProperty({}, 'token', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(maskSecrets({ a: proxy, b: getter, c: 1 })).toEqual({ a: '[unreadable]', b: { token: '[unreadable]' }, c: 1 });
  });
});
