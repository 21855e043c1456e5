/**
 * Properties of maskSecrets: for arbitrary nested configuration objects with secrets planted at
 * any depth — under any spelling of a secret field name, in TLS options, or inside strings as URL
 * or broker userinfo, PEM private keys, Authorization headers and `name=value` text — the masked
 * output never contains a secret, and everything that was not a secret is kept as it was.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretKey, maskSecrets, maskSecretText } from '../../src/observability/mask-secrets.js';

/** Secrets: upper-case letters and digits, starting with `S`; ordinary text below has no upper case, so cannot contain one. */
const secretArb = fc.stringMatching(/^S[A-Z0-9]{9,20}$/);

/** Ordinary text: no upper case, none of the characters secret patterns hang on (`@ : = -`). */
const textArb = fc.stringMatching(/^[a-z0-9 ._/,+]{0,24}$/);
/** Ordinary field names: not secret-looking, not TLS-looking (under `ssl`, `key` is private). */
const keyArb = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,11}$/).filter((k) => !isSecretKey(k) && !/ssl|tls|key|pfx/i.test(k));

/** A configuration value without secrets. */
const { value: plainValueArb } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    textArb,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 5 }),
  ),
}));
const configArb = fc.dictionary(keyArb, plainValueArb, { minKeys: 1, maxKeys: 6 });

/** Spellings of field names whose value is a secret whatever it is. */
const SECRET_WORDS = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'apiKey',
  'api_key',
  'credentials',
  'authorization',
  'privateKey',
  'private_key',
  'cookie',
  'sasl',
];
const secretKeyArb = fc
  .tuple(
    fc.constantFrom(...SECRET_WORDS),
    fc.constantFrom('', 'db', 'client', 'x-', 'kafka.', 'my_'),
    fc.constantFrom('lower', 'upper', 'title'),
  )
  .map(([word, prefix, style]) => {
    const spelled = style === 'upper' ? word.toUpperCase() : style === 'title' ? word[0].toUpperCase() + word.slice(1) : word;
    return prefix + spelled;
  });

/** The ways a secret is written into a configuration: a field, TLS options, or text inside a string. */
type Plant =
  | { kind: 'field'; key: string; secret: string; wrap: 'plain' | 'object' | 'array' }
  | { kind: 'tls'; parent: string; field: string; secret: string }
  | { kind: 'text'; template: (secret: string) => string; secret: string; before: string; after: string };

const TEXT_FORMS: Array<(s: string) => string> = [
  (s) => `https://app:${s}@registry.example:8081/apis`,
  (s) => `kafka://${s}@b1.example:9092`,
  (s) => `app:${s}@b1.example:9092`,
  (s) => `-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----`,
  // a key cut short (a message truncated mid-key) is masked to the end of the text
  (s) => `-----BEGIN PRIVATE KEY-----\n${s}`,
  (s) => `Authorization: Bearer ${s}`,
  (s) => `authorization=Basic ${s}`,
  (s) => `Bearer ${s}`,
  (s) => `password=${s}`,
  (s) => `{"token":"${s}"}`,
  (s) => `GET /x?api_key=${s}&page=2`,
];

const plantArb: fc.Arbitrary<Plant> = fc.oneof(
  fc.record({
    kind: fc.constant('field' as const),
    key: secretKeyArb,
    secret: secretArb,
    wrap: fc.constantFrom('plain' as const, 'object' as const, 'array' as const),
  }),
  fc.record({
    kind: fc.constant('tls' as const),
    parent: fc.constantFrom('ssl', 'tls', 'SSL', 'sslOptions', 'kafkaTls', 'ssl_config'),
    field: fc.constantFrom('key', 'pfx', 'passphrase'),
    secret: secretArb,
  }),
  fc.record({
    kind: fc.constant('text' as const),
    template: fc.constantFrom(...TEXT_FORMS),
    secret: secretArb,
    before: textArb,
    after: textArb,
  }),
);

/** The objects of `config` (itself included) with their paths: where secrets get planted. */
function objectsOf(config: Record<string, unknown>): Array<{ object: Record<string, unknown>; path: string[] }> {
  const objects: Array<{ object: Record<string, unknown>; path: string[] }> = [];
  const visit = (value: unknown, path: string[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, String(i)]));
    else if (value !== null && typeof value === 'object') {
      objects.push({ object: value as Record<string, unknown>, path });
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    }
  };
  visit(config, []);
  return objects;
}

/** Adds `plant` to `object` under a field no other plant uses (`n` numbers them), and returns that field's path. */
function plantInto(object: Record<string, unknown>, path: string[], plant: Plant, n: number): string[] {
  switch (plant.kind) {
    case 'field': {
      const value =
        plant.wrap === 'plain' ? plant.secret : plant.wrap === 'object' ? { value: plant.secret, mechanism: 'plain' } : [plant.secret];
      const key = `${plant.key}${n}`;
      object[key] = value;
      return [...path, key];
    }
    case 'tls': {
      const key = `${plant.parent}${n}`;
      object[key] = { [plant.field]: plant.secret, servername: 'b1.example' };
      return [...path, key, plant.field];
    }
    case 'text': {
      const key = `note${n}`;
      object[key] = `${plant.before} ${plant.template(plant.secret)} ${plant.after}`;
      return [...path, key];
    }
  }
}

/** Every leaf of `value` (not under a planted path) with its path. */
function leaves(value: unknown, path: string[] = [], out: Array<[string[], unknown]> = []): Array<[string[], unknown]> {
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, [...path, String(i)], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
  else out.push([path, value]);
  return out;
}

function at(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

describe('maskSecrets (properties)', () => {
  it('leaves configuration without secrets exactly as it was', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        expect(maskSecrets(config)).toEqual(config);
      }),
    );
  });

  it('never lets a planted secret through, at any depth and key spelling, and keeps everything else', () => {
    fc.assert(
      fc.property(configArb, fc.array(fc.tuple(plantArb, fc.nat()), { minLength: 1, maxLength: 4 }), (generated, plants) => {
        const original = structuredClone(generated);
        const config = structuredClone(generated);
        const targets = objectsOf(config);
        const planted = plants.map(([plant, pick], n) => {
          const { object, path } = targets[pick % targets.length];
          return { plant, path: plantInto(object, path, plant, n) };
        });
        const masked = maskSecrets(config);
        const text = JSON.stringify(masked);
        for (const { plant } of planted) expect(text).not.toContain(plant.secret);
        // every field that was there before planting is there, unchanged
        for (const [path, value] of leaves(original)) expect(at(masked, path)).toEqual(value);
        // planted fields stay, masked: a reader sees that the setting was given
        for (const { plant, path } of planted) {
          const value = at(masked, path);
          if (plant.kind === 'text') {
            expect(value).toMatch(/\*\*\*/);
            expect(value).toContain(plant.before);
            if (!plant.template('').endsWith('-----\n')) expect(value).toContain(plant.after);
          } else expect(value).toBe('***');
        }
        // the input is left untouched
        for (const [path, value] of leaves(original)) expect(at(config, path)).toEqual(value);
      }),
    );
  });

  it('masking text is idempotent, and text without secrets comes back unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 200 }), (text) => {
        const once = maskSecretText(text);
        expect(maskSecretText(once)).toBe(once);
      }),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        expect(maskSecretText(text)).toBe(text);
      }),
    );
  });
});
