/**
 * avroSerde and SchemaRegistryClient against a real Confluent-compatible Schema Registry (Apicurio
 * Registry's ccompat API, started by the global setup) and the real broker: no mocked HTTP.
 */
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { inject } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { StreamkitError } from '../../src/core/errors.js';
import { from } from '../../src/pipeline/stream.js';
import { avroSerde } from '../../src/serde/avro-serde.js';
import { decodeConfluentFrame } from '../../src/serde/confluent-wire-format.js';
import { SchemaRegistryClient } from '../../src/serde/schema-registry-client.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { toKafka } from '../../src/kafka/producer/index.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { brokers, createTopic, readAll, uniqueName } from './kafka-test-utils.js';

const registryUrl = inject('schemaRegistryUrl');

/** A cleaned taxi trip, as the taxi example's Silver layer has it. */
interface Trip {
  tripId: string;
  vendorId: number;
  pickupAt: number;
  dropoffAt: number;
  puLocationId: number;
  doLocationId: number;
  passengerCount: number | null;
  tripDistance: number;
  paymentType: 'CARD' | 'CASH' | 'NO_CHARGE' | 'DISPUTE' | 'UNKNOWN';
  totalAmount: number;
}

const tripSchema = {
  type: 'record',
  name: 'Trip',
  namespace: 'streamkit.taxi',
  fields: [
    { name: 'tripId', type: 'string' },
    { name: 'vendorId', type: 'int' },
    { name: 'pickupAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'dropoffAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'puLocationId', type: 'int' },
    { name: 'doLocationId', type: 'int' },
    { name: 'passengerCount', type: ['null', 'int'], default: null },
    { name: 'tripDistance', type: 'double' },
    { name: 'paymentType', type: { type: 'enum', name: 'PaymentType', symbols: ['CARD', 'CASH', 'NO_CHARGE', 'DISPUTE', 'UNKNOWN'] } },
    { name: 'totalAmount', type: 'double' },
  ],
};

const T0 = Date.UTC(2024, 0, 1, 5);
const payments = ['CARD', 'CASH', 'NO_CHARGE', 'DISPUTE', 'UNKNOWN'] as const;

function trips(n: number): Trip[] {
  return Array.from({ length: n }, (_, i) => ({
    tripId: `trip-${String(i).padStart(4, '0')}`,
    vendorId: 1 + (i % 2),
    pickupAt: T0 + i * 37_000,
    dropoffAt: T0 + i * 37_000 + 600_000 + (i % 11) * 60_000,
    puLocationId: 1 + ((i * 7) % 265),
    doLocationId: 1 + ((i * 13) % 265),
    passengerCount: i % 9 === 0 ? null : 1 + (i % 4),
    tripDistance: Math.round((0.4 + (i % 23) * 0.73) * 100) / 100,
    paymentType: payments[i % payments.length],
    totalAmount: Math.round((7.5 + (i % 31) * 2.35) * 100) / 100,
  }));
}

const byTripId = (a: { tripId: string }, b: { tripId: string }) => (a.tripId < b.tripId ? -1 : a.tripId > b.tripId ? 1 : 0);

/** A client whose HTTP requests are recorded, to tell a registry lookup from a cache hit. */
function recordingClient(): { client: SchemaRegistryClient; requests: string[] } {
  const requests: string[] = [];
  const client = new SchemaRegistryClient({
    url: registryUrl,
    fetch: (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${String(input).slice(registryUrl.length)}`);
      return fetch(input, init);
    },
  });
  return { client, requests };
}

/** Sets a subject's compatibility level through the Confluent config API. */
async function setCompatibility(subject: string, level: string): Promise<void> {
  const response = await fetch(`${registryUrl}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  expect(await response.json()).toEqual({ compatibility: level });
}

describe('avroSerde with a real Schema Registry', () => {
  it('registers a schema, which any client then fetches by its id; registering it again returns the same id', async () => {
    const subject = uniqueName('trips-register') + '-value';
    const id = await new SchemaRegistryClient({ url: registryUrl }).register(subject, tripSchema);
    expect(Number.isInteger(id) && id >= 0).toBe(true);

    const { client, requests } = recordingClient();
    const fetched = await client.getSchema(id);
    expect(requests).toEqual([`GET /schemas/ids/${id}`]);
    expect(avro.Type.forSchema(fetched as avro.Schema).equals(avro.Type.forSchema(tripSchema as avro.Schema))).toBe(true);
    // a second client (no cache) registering the same schema under the same subject gets the same id
    expect(await client.register(subject, JSON.stringify(tripSchema))).toBe(id);
    expect(requests).toEqual([`GET /schemas/ids/${id}`, `POST /subjects/${encodeURIComponent(subject)}/versions`]);
  });

  it('round-trips taxi trips through Kafka: toKafka registers and frames, fromKafka resolves the id', async () => {
    const topic = uniqueName('trips-avro');
    const subject = `${topic}-value`;
    await createTopic(topic, 3);
    const input = trips(300);

    const writer = recordingClient();
    const summary = await from(fromArray(input))
      .to(
        toKafka<Trip>({
          brokers,
          topic,
          key: (t) => t.tripId,
          serializer: avroSerde<Trip>(tripSchema, { registry: writer.client, subject }),
        }),
      )
      .run();
    expect(summary.records).toBe(300);
    // one registration for the whole job, not one per record
    expect(writer.requests).toEqual([`POST /subjects/${encodeURIComponent(subject)}/versions`]);
    const id = await writer.client.register(subject, avro.Type.forSchema(tripSchema as avro.Schema).schema() as object);

    // every message is in the Confluent wire format with the id the registry assigned
    const messages = await readAll(topic, 300);
    const tripType = avro.Type.forSchema(tripSchema as avro.Schema);
    for (const m of messages) {
      expect(m.value![0]).toBe(0);
      expect(m.value!.readUInt32BE(1)).toBe(id);
      const { schemaId, body } = decodeConfluentFrame(m.value!);
      expect(schemaId).toBe(id);
      expect(tripType.fromBuffer(body)).toEqual(input.find((t) => t.tripId === m.key));
    }

    // the reader's serde knows the schema it wants but not the writer's id: it asks the registry once
    const reader = recordingClient();
    const out = toArray<Trip>();
    const dead = toArray<DeadLetter>();
    const read = await from(
      fromKafka<Trip>({
        brokers,
        topic,
        groupId: uniqueName('trips-reader'),
        fromBeginning: true,
        maxRecords: input.length,
        // a message that fails to decode becomes a dead letter: end the run instead of waiting for it
        stopWhenIdle: '10s',
        deserializer: avroSerde<Trip>(tripSchema, { registry: reader.client }),
      }),
    )
      .deadLetters(dead)
      .to(out)
      .run();
    expect(dead.items.map((d) => d.reason)).toEqual([]);
    expect(read.records).toBe(300);
    expect([...out.items].sort(byTripId)).toEqual([...input].sort(byTripId));
    expect(reader.requests).toEqual([`GET /schemas/ids/${id}`]);
  });

  it('a reader with an evolved schema resolves the writer schema by id from the registry alone', async () => {
    const topic = uniqueName('trips-evolve');
    const subject = `${topic}-value`;
    await createTopic(topic, 1);
    const input = trips(20);
    await from(fromArray(input))
      .to(toKafka<Trip>({ brokers, topic, serializer: avroSerde<Trip>(tripSchema, { registry: { url: registryUrl }, subject }) }))
      .run();

    // v2 drops vendorId and adds a field with a default: it can read v1 data only with v1 in hand
    const v2 = {
      ...tripSchema,
      fields: [...tripSchema.fields.filter((f) => f.name !== 'vendorId'), { name: 'airportFee', type: 'double', default: 0 }],
    };
    const reader = recordingClient();
    const out = toArray<Omit<Trip, 'vendorId'> & { airportFee: number }>();
    const dead = toArray<DeadLetter>();
    await from(
      fromKafka({
        brokers,
        topic,
        groupId: uniqueName('g'),
        fromBeginning: true,
        maxRecords: input.length,
        stopWhenIdle: '10s',
        deserializer: avroSerde(v2, { registry: reader.client }),
      }),
    )
      .deadLetters(dead)
      .to(out)
      .run();
    expect(dead.items.map((d) => d.reason)).toEqual([]);
    expect(out.items).toEqual(input.map(({ vendorId: _, ...rest }) => ({ ...rest, airportFee: 0 })));
    expect(reader.requests).toHaveLength(1);
    expect(reader.requests[0]).toMatch(/^GET \/schemas\/ids\/\d+$/);
  });

  it("under BACKWARD compatibility, accepts a compatible change and refuses an incompatible one with the registry's reason", async () => {
    const subject = uniqueName('trips-compat') + '-value';
    const client = new SchemaRegistryClient({ url: registryUrl });
    const v1 = await client.register(subject, tripSchema);
    await setCompatibility(subject, 'BACKWARD');

    const compatible = { ...tripSchema, fields: [...tripSchema.fields, { name: 'airportFee', type: 'double', default: 0 }] };
    const v2 = await client.register(subject, compatible);
    expect(v2).not.toBe(v1);

    // tripDistance from double to string: a new reader cannot read old data
    const incompatible = {
      ...tripSchema,
      fields: tripSchema.fields.map((f) => (f.name === 'tripDistance' ? { name: 'tripDistance', type: 'string' } : f)),
    };
    const error = await client.register(subject, incompatible).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamkitError);
    expect((error as StreamkitError).retriable).toBe(false);
    // what the client says, then the registry's reason (Avro's own compatibility wording)
    expect((error as Error).message).toMatch(/answered 409 \(schema incompatible with the subject's earlier versions\): /);
    expect((error as Error).message).toMatch(/reader type: STRING not compatible with writer type: DOUBLE/);
    expect((error as Error).message).toContain(`/subjects/${subject}/versions`);

    // a serializer with the incompatible schema fails the same way, and writes nothing
    const serde = avroSerde(incompatible, { registry: client, subject });
    await expect(serde.serialize({ ...trips(1)[0], tripDistance: '2.5' })).rejects.toThrow(/409/);
  });
});
