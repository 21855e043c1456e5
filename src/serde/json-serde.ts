import type { Serde } from './serde.js';
import { checkOptions } from '../core/options.js';

/** Options of {@link jsonSerde}. */
// `T` is the type the serde produces; the options name it so `jsonSerde<Trip>({ … })` reads as one.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface JsonSerdeOptions<T> {
  /**
   * Checks a parsed value; return `false` or throw to reject the message as bad input (it then
   * goes to the dead-letter output). A returned string is used as the reason.
   */
  validate?: (value: unknown) => boolean | string | void;
  /** Passed to `JSON.parse`. */
  reviver?: (key: string, value: unknown) => unknown;
}

/**
 * UTF-8 JSON: one JSON document per message.
 *
 * @param options - an optional `validate` guard and `JSON.parse` reviver
 * @returns a serde whose `deserialize` throws a `SyntaxError` on malformed JSON and a `TypeError`
 *   when `validate` rejects the value (both become dead letters in a Kafka source)
 * @example
 * const trips = jsonSerde<Trip>({ validate: (v) => typeof v === 'object' && v !== null });
 * fromKafka({ brokers, topic: 'trips', groupId: 'zone5m', deserializer: trips });
 * @see avroSerde
 */
export function jsonSerde<T = unknown>(options: JsonSerdeOptions<T> = {}): Serde<T> {
  if (options === null || typeof options !== 'object') throw new TypeError('jsonSerde: options must be an object');
  checkOptions('jsonSerde', options, ['reviver', 'validate']);
  if (options.validate !== undefined && typeof options.validate !== 'function') {
    throw new TypeError('jsonSerde: option "validate" must be a function');
  }
  if (options.reviver !== undefined && typeof options.reviver !== 'function') {
    throw new TypeError('jsonSerde: option "reviver" must be a function');
  }
  const { validate, reviver } = options;
  return {
    serialize(value: T): Buffer {
      const text = JSON.stringify(value);
      // JSON.stringify(undefined) is undefined: a message must have a body
      if (text === undefined) throw new TypeError('jsonSerde: cannot serialize undefined or a function');
      return Buffer.from(text, 'utf8');
    },
    deserialize(bytes: Buffer): T {
      const value: unknown = JSON.parse(bytes.toString('utf8'), reviver as Parameters<typeof JSON.parse>[1]);
      if (validate) {
        const verdict: unknown = validate(value);
        if (verdict === false) throw new TypeError('jsonSerde: value rejected by validate');
        if (typeof verdict === 'string') throw new TypeError(`jsonSerde: ${verdict}`);
      }
      return value as T;
    },
  };
}
