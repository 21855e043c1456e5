import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import avro from 'avsc';
import { avroSerde, decodeConfluentFrame, encodeConfluentFrame, jsonSerde } from '../../src/serde/index.js';

const tripSchema = {
  type: 'record',
  name: 'Trip',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'zone', type: 'int' },
    { name: 'fare', type: 'double' },
  ],
};

describe('jsonSerde', () => {
  it('round-trips JSON values', () => {
    const serde = jsonSerde();
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const bytes = serde.serialize(value) as Buffer;
        expect(serde.deserialize(bytes)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('throws on malformed JSON so the message becomes a dead letter', () => {
    expect(() => jsonSerde().deserialize(Buffer.from('{"a":'))).toThrow(SyntaxError);
  });

  it('rejects values that fail validate, using a returned string as the reason', () => {
    const serde = jsonSerde<{ n: number }>({
      validate: (v) => (typeof (v as { n?: unknown }).n === 'number' ? true : 'field n must be a number'),
    });
    expect(serde.deserialize(Buffer.from('{"n":1}'))).toEqual({ n: 1 });
    expect(() => serde.deserialize(Buffer.from('{"n":"x"}'))).toThrow(/field n must be a number/);
  });

  it('validates its options at the call site', () => {
    expect(() => jsonSerde({ validate: 3 as never })).toThrow(/"validate" must be a function/);
    expect(() => jsonSerde({ schema: {} } as never)).toThrow(/unknown option "schema"/);
  });
});

describe('Confluent wire format', () => {
  it('writes magic byte 0 and a big-endian 4-byte schema id before the body', () => {
    const frame = encodeConfluentFrame(0x01020304, Buffer.from([0xaa, 0xbb]));
    expect([...frame]).toEqual([0, 1, 2, 3, 4, 0xaa, 0xbb]);
  });

  it('decodes what it encodes for every id and body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array(), (id, body) => {
        const decoded = decodeConfluentFrame(encodeConfluentFrame(id, Buffer.from(body)));
        expect(decoded.schemaId).toBe(id);
        expect([...decoded.body]).toEqual([...body]);
      }),
    );
  });

  it('rejects a wrong magic byte and short frames', () => {
    expect(() => decodeConfluentFrame(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(/magic byte is 1/);
    expect(() => decodeConfluentFrame(Buffer.from([0, 0, 1]))).toThrow(/3 bytes/);
    expect(() => encodeConfluentFrame(-1, Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('avroSerde', () => {
  it('with a fixed schema id, frames the avsc binary encoding', async () => {
    const serde = avroSerde<{ id: string; zone: number; fare: number }>(tripSchema, { schemaId: 42 });
    const trip = { id: 't1', zone: 132, fare: 52.5 };
    const bytes = await serde.serialize(trip);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(42);
    // the body is exactly what any Avro implementation writes for this schema
    expect(bytes.subarray(5).equals(avro.Type.forSchema(tripSchema as avro.Schema).toBuffer(trip))).toBe(true);
    expect(await serde.deserialize(bytes)).toEqual(trip);
  });

  it('round-trips arbitrary records in raw and framed form', async () => {
    const raw = avroSerde(tripSchema);
    const framed = avroSerde(tripSchema, { schemaId: 1 });
    const trip = fc.record({
      id: fc.string(),
      zone: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fare: fc.double({ noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(trip, async (t) => {
        expect(await raw.deserialize(await raw.serialize(t))).toEqual(t);
        expect(await framed.deserialize(await framed.serialize(t))).toEqual(t);
      }),
    );
  });

  it('throws on values that do not match the schema, naming the field', () => {
    const serde = avroSerde(tripSchema, { schemaId: 1 });
    expect(() => serde.serialize({ id: 't', zone: 'x', fare: 1 })).toThrow(/zone/);
  });

  it('throws on an unknown schema id without a registry, and on a bad magic byte', () => {
    const serde = avroSerde(tripSchema, { schemaId: 1 });
    expect(() => serde.deserialize(encodeConfluentFrame(2, Buffer.from([0])))).toThrow(/unknown schema id 2/);
    expect(() => serde.deserialize(Buffer.from('{"id":"t"}'))).toThrow(/magic byte/);
  });

  it('validates options at the call site', () => {
    expect(() => avroSerde(tripSchema, { wireFormat: 'confluent' })).toThrow(/needs option "registry" or "schemaId"/);
    expect(() => avroSerde(tripSchema, { schemaId: 1.5 })).toThrow(RangeError);
    expect(() => avroSerde({ type: 'record' } as never)).toThrow(/not a valid Avro schema/);
    expect(() => avroSerde(tripSchema, { schemaID: 1 } as never)).toThrow(/unknown option "schemaID"/);
    expect(() => avroSerde(tripSchema, { registry: { url: 'http://r:8081', token: 'x' } as never })).toThrow(/unknown option "token"/);
    expect(() => avroSerde(tripSchema, { registry: { url: 'r:8081' } })).toThrow(/"url" must be an http\(s\) URL/);
    expect(avroSerde('string').deserialize(avroSerde('string').serialize('hi') as Buffer)).toBe('hi');
  });
});
