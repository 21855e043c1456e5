import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretKey, maskSecrets, maskUrlCredentials } from '../../src/observability/index.js';

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
      ssl: { key: 'k', passphrase: '***' },
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

  it('classifies keys', () => {
    for (const key of ['password', 'PASSWORD', 'passwd', 'sasl', 'secret', 'accessToken', 'api_key', 'credentials', 'privateKey']) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ['passengerCount', 'user', 'username', 'brokers', 'topic', 'key', 'partition']) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });
});
