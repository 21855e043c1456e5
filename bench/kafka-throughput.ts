/**
 * Consume → process → produce throughput on a local broker: N click events on a 3-partition topic,
 * read by a consumer group, counted per user in 1-minute windows, results written with `toKafka`,
 * checkpointed every second — once with `levelState` (state on this machine) and once with
 * `kafkaChangelog` (state in a compacted changelog topic, a task per partition), in one sitting.
 *
 *   npm run kafka:start && npx tsx bench/kafka-throughput.ts [events=200000] [brokers=127.0.0.1:9092]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import {
  boundedOutOfOrderness,
  count,
  createTopicsWithLeaders,
  from,
  fromKafka,
  kafkaChangelog,
  levelState,
  toKafka,
  tumbling,
  type RunOptions,
} from '../src/index.js';

const events = Number(process.argv[2] ?? 200_000);
const brokers = (process.argv[3] ?? '127.0.0.1:9092').split(',');
const kafka = new kafkajs.Kafka({ brokers, clientId: 'streamkit-bench', logLevel: kafkajs.logLevel.NOTHING });
const run = Date.now().toString(36);
const T0 = Date.UTC(2026, 0, 1);
const USERS = 1000;

interface Click {
  user: string;
  at: number;
}

async function createTopics(...topics: Array<{ topic: string; compact?: boolean }>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsWithLeaders(
    admin,
    topics.map(({ topic, compact }) => ({
      topic,
      numPartitions: 3,
      replicationFactor: 1,
      configEntries: compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
    })),
  );
  await admin.disconnect();
}

async function produceInput(topic: string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  for (let from = 0; from < events; from += 10_000) {
    const messages = [];
    for (let i = from; i < Math.min(events, from + 10_000); i++) {
      const click: Click = { user: `u${(i * 7919) % USERS}`, at: T0 + i * 20 };
      messages.push({ key: click.user, value: JSON.stringify(click) });
    }
    await producer.send({ topic, messages, acks: -1 });
    process.stderr.write(`\rproducing ${Math.min(events, from + 10_000)}/${events}`);
  }
  await producer.disconnect();
  process.stderr.write(`\rproduced ${events} events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

async function measure(
  label: string,
  input: string,
  state: RunOptions['state'],
): Promise<{ label: string; seconds: number; perSecond: number; results: number; checkpoints: number }> {
  const output = `bench-out-${label}-${run}`;
  await createTopics({ topic: output, compact: true });
  const job = from(
    fromKafka<Click>({
      brokers,
      topic: input,
      groupId: `bench-${label}-${run}`,
      fromBeginning: true,
      maxRecords: events,
      logLevel: 'nothing',
    }),
  )
    .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
    .keyBy((c) => c.user)
    .window(tumbling('1m'))
    .aggregate(count())
    .to(toKafka({ brokers, topic: output, logLevel: 'nothing' }))
    .run({ state, checkpointEvery: '1s' });
  const progress = setInterval(() => process.stderr.write(`\r${label}: ${job.metrics.total('records_in')}/${events}`), 500);
  const started = Date.now();
  const summary = await job.finally(() => clearInterval(progress));
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`\r${label}: ${summary.records}/${events} in ${seconds.toFixed(1)} s\n`);
  return { label, seconds, perSecond: Math.round(summary.records / seconds), results: summary.results, checkpoints: summary.checkpoints };
}

const input = `bench-in-${run}`;
await createTopics({ topic: input });
await produceInput(input);
const dir = mkdtempSync(join(tmpdir(), 'streamkit-kafka-bench-'));
const rows = [];
try {
  rows.push(await measure('levelState', input, levelState(dir)));
  rows.push(await measure('kafkaChangelog', input, kafkaChangelog({ brokers, topic: `bench-changelog-${run}`, logLevel: 'nothing' })));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nKafka → 1-minute count per user (${USERS} users) → Kafka, ${events} events, 3 partitions, checkpoint every 1 s`);
console.log('| state | wall s | events/s | results | checkpoints |\n|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${r.perSecond.toLocaleString('en-US')} | ${r.results} | ${r.checkpoints} |`);
