import type { Schema, Type, Resolver } from 'avsc';
import { lazyModule } from '../core/lazy-module.js';
import { checkOptions } from '../core/options.js';
import { echoMasked, maskSecretText } from '../observability/mask-secrets.js';
import { decodeConfluentFrame, encodeConfluentFrame } from './confluent-wire-format.js';
import { SchemaRegistryClient, type SchemaRegistryOptions } from './schema-registry-client.js';
import type { Serde } from './serde.js';

const avsc = lazyModule<typeof import('avsc')>('avsc', 'avroSerde()');

/** Options of {@link avroSerde}. */
export interface AvroSerdeOptions {
  /**
   * A Schema Registry (options or a shared client). Serializing registers the schema under
   * `subject`; deserializing fetches unknown writer schemas by id and resolves them to the reader
   * schema (Avro schema evolution).
   */
  registry?: SchemaRegistryOptions | SchemaRegistryClient;
  /** Registry subject to register the schema under when serializing, e.g. `trips-value`. */
  subject?: string;
  /** Use this schema id in the Confluent frame without any registry (ids agreed out of band). */
  schemaId?: number;
  /**
   * `'confluent'` (magic byte, 4-byte schema id, body) or `'raw'` (Avro binary body only).
   * Default: `'confluent'` when `registry` or `schemaId` is given, else `'raw'`.
   */
  wireFormat?: 'confluent' | 'raw';
}

/**
 * Avro binary encoding with avsc, in the Confluent Schema Registry wire format.
 *
 * @param schema - the reader/writer schema: an Avro schema object, JSON text, or an avsc `Type`
 * @param options - `registry` and `subject`, or a fixed `schemaId`, and the `wireFormat`
 * @returns a serde; `deserialize` throws (and the message becomes a dead letter) on a frame with a
 *   bad magic byte, an unknown schema id, or bytes that do not decode
 * @example
 * const trips = avroSerde<Trip>(tripSchema, { registry: { url: 'http://localhost:8081' }, subject: 'trips-value' });
 * from(fromKafka({ brokers, topic: 'trips', groupId: 'g', deserializer: trips }));
 * @see jsonSerde, SchemaRegistryClient, encodeConfluentFrame
 */
export function avroSerde<T = unknown>(schema: Schema | Type | object, options: AvroSerdeOptions = {}): Serde<T> {
  const type = toType(schema);
  if (options === null || typeof options !== 'object') throw new TypeError('avroSerde: options must be an object');
  checkOptions('avroSerde', options, ['registry', 'subject', 'schemaId', 'wireFormat']);
  const { schemaId, subject } = options;
  if (schemaId !== undefined && !(Number.isInteger(schemaId) && schemaId >= 0 && schemaId <= 0xffffffff)) {
    throw new RangeError(`avroSerde: option "schemaId" must be an integer in [0, 2^32), got ${echoMasked(schemaId)}`);
  }
  if (subject !== undefined && (typeof subject !== 'string' || subject.length === 0)) {
    throw new TypeError('avroSerde: option "subject" must be a non-empty string');
  }
  if (options.wireFormat !== undefined && options.wireFormat !== 'confluent' && options.wireFormat !== 'raw') {
    throw new TypeError(`avroSerde: option "wireFormat" must be 'confluent' or 'raw', got ${echoMasked(options.wireFormat)}`);
  }
  const registry =
    options.registry === undefined
      ? undefined
      : options.registry instanceof SchemaRegistryClient
        ? options.registry
        : new SchemaRegistryClient(options.registry);
  const wireFormat = options.wireFormat ?? (registry || schemaId !== undefined ? 'confluent' : 'raw');
  if (wireFormat === 'confluent' && !registry && schemaId === undefined) {
    throw new TypeError('avroSerde: wireFormat "confluent" needs option "registry" or "schemaId"');
  }

  const writerSchema = type.schema();
  let ownId: Promise<number> | undefined;
  // readers keyed by writer schema id: the plain type for our own id, a resolver for others
  const readers = new Map<number, Resolver | Type | Promise<Resolver | Type>>();
  if (schemaId !== undefined) readers.set(schemaId, type);

  const encodeBody = (value: T): Buffer => {
    const problems: string[] = [];
    if (!type.isValid(value, { errorHook: (path) => problems.push(path.join('.') || '(root)') })) {
      throw new TypeError(`avroSerde: value does not match schema ${type.name ?? type.typeName} at ${problems.join(', ')}`);
    }
    return type.toBuffer(value);
  };

  const decodeWith = (reader: Resolver | Type, body: Buffer): T =>
    (reader === type ? type.fromBuffer(body) : type.fromBuffer(body, reader as Resolver)) as T;

  const readerFor = (id: number): Resolver | Type | Promise<Resolver | Type> => {
    const known = readers.get(id);
    if (known) return known;
    if (!registry) throw new TypeError(`avroSerde: unknown schema id ${id} and no registry to look it up`);
    const pending = registry.getSchema(id).then((writer) => {
      const reader = type.createResolver(avsc().Type.forSchema(writer as Schema));
      readers.set(id, reader);
      return reader;
    });
    pending.catch(() => readers.delete(id));
    readers.set(id, pending);
    return pending;
  };

  return {
    serialize(value: T): Buffer | Promise<Buffer> {
      const body = encodeBody(value);
      if (wireFormat === 'raw') return body;
      if (schemaId !== undefined) return encodeConfluentFrame(schemaId, body);
      if (!subject) throw new TypeError('avroSerde: serializing with a registry needs option "subject"');
      ownId ??= registry!.register(subject, writerSchema as object).then((id) => {
        readers.set(id, type);
        return id;
      });
      ownId.catch(() => (ownId = undefined));
      return ownId.then((id) => encodeConfluentFrame(id, body));
    },
    deserialize(bytes: Buffer): T | Promise<T> {
      if (wireFormat === 'raw') return type.fromBuffer(bytes) as T;
      const { schemaId: id, body } = decodeConfluentFrame(bytes);
      const reader = readerFor(id);
      // the common case (a known id) stays synchronous: no promise per message
      if (reader instanceof Promise) return reader.then((r) => decodeWith(r, body));
      return decodeWith(reader, body);
    },
  };
}

function toType(schema: Schema | Type | object): Type {
  if (schema instanceof avsc().Type) return schema;
  if (typeof schema === 'string') {
    try {
      // JSON text, or a primitive type name such as 'string'
      return avsc().Type.forSchema(/^\s*[[{"]/.test(schema) ? (JSON.parse(schema) as Schema) : schema);
    } catch (cause) {
      throw new TypeError(`avroSerde: schema is not a valid Avro schema: ${maskSecretText(String((cause as Error).message))}`, { cause });
    }
  }
  if (schema === null || typeof schema !== 'object') {
    throw new TypeError('avroSerde: schema must be an Avro schema object, JSON text or an avsc Type');
  }
  try {
    return avsc().Type.forSchema(schema as Schema);
  } catch (cause) {
    throw new TypeError(`avroSerde: schema is not a valid Avro schema: ${maskSecretText(String((cause as Error).message))}`, { cause });
  }
}
