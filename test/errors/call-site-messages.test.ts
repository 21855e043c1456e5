import { describe, expect, it } from 'vitest';
import {
  boundedOutOfOrderness,
  count,
  from,
  fromArray,
  fromJsonl,
  global,
  kafkaChangelog,
  StreamkitError,
  toArray,
  tumbling,
} from '../../src/index.js';

const stamped = () => from(fromArray([{ at: 0 }])).withTimestamps((e) => e.at);

describe('mistakes reported where they are written', () => {
  it('run() rejects an unknown option, naming the known ones', () => {
    expect(() =>
      stamped()
        .to(toArray())
        .run({ checkpointInterval: '5s' } as never),
    ).toThrow(/run: unknown option "checkpointInterval" \(known: .*checkpointEvery/);
  });

  it('boundedOutOfOrderness rejects a misspelt idleTimeout', () => {
    expect(() => boundedOutOfOrderness('1s', { idleTimeOut: '1m' } as never)).toThrow(
      /boundedOutOfOrderness: unknown option "idleTimeOut" \(known: idleTimeout\)/,
    );
  });

  it('window() reports global() without a trigger at .window(), not later', () => {
    expect(() => stamped().window(global())).toThrow(/afterCount/);
  });

  it('aggregate() explains a function passed where an aggregator belongs', () => {
    expect(() =>
      stamped()
        .window(tumbling('1m'))
        .aggregate(count as never),
    ).toThrow(/got a function; pass an aggregator such as count\(\) \(called/);
  });

  it('dedup() checks within where it is called', () => {
    expect(() => stamped().dedup((e) => String(e.at), { within: '1 hour' })).toThrow(/within/);
  });

  it('fromJsonl names the file it cannot read', async () => {
    const run = from(fromJsonl('/no/such/file.jsonl')).to(toArray()).run();
    await expect(run).rejects.toBeInstanceOf(StreamkitError);
    await expect(run).rejects.toMatchObject({ code: 'SOURCE_FAILED', message: expect.stringContaining('/no/such/file.jsonl') });
  });

  it('kafkaChangelog() state with a source whose partitions do not move says which source to use', async () => {
    const state = kafkaChangelog({ brokers: ['127.0.0.1:1'], topic: 'clicks.changelog' });
    await expect(stamped().to(toArray()).run({ state })).rejects.toThrow(
      /runs a task per source partition, which source .* does not support \(use fromKafka\)/,
    );
  });

  it('kafkaChangelog() checks its options where it is called', () => {
    expect(() => kafkaChangelog({ brokers: ['127.0.0.1:9092'], topic: '' })).toThrow(/option "topic" must be a non-empty string/);
    expect(() => kafkaChangelog({ brokers: ['127.0.0.1:9092'], topic: 'c', partition: 3 } as never)).toThrow(
      /kafkaChangelog: unknown option "partition"/,
    );
  });
});
