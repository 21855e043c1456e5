import { boundedOutOfOrderness, from, levelState, table, toArray } from '../../src/index.js';
import { PausedSource } from '../runtime/fixtures/paused-source.js';

/** A record of either side of {@link runPairs}. */
export type Paired = { key: string; time: number; seq: number };
/** A table row of {@link runRates}. */
export type Row = { zone: number; rate: number; at: number };
/** A record looked up by {@link runRates}. */
export type Ride = { zone: number; at: number };

/**
 * An outer interval join `pairs` (5 ms each way) of two sources a test feeds, its buffers resident
 * behind a 1-byte cache, checkpointing after every record. It wrote `fixtures/resident-unversioned/join`.
 */
export function runPairs(state: string, lefts = new PausedSource<Paired>(), rights = new PausedSource<Paired>()) {
  return from(lefts)
    .withTimestamps((e) => e.time, boundedOutOfOrderness(1_000))
    .keyBy((e) => e.key)
    .join(
      from(rights)
        .withTimestamps((e) => e.time, boundedOutOfOrderness(1_000))
        .keyBy((e) => e.key),
      { within: '5ms', kind: 'outer' },
      (a, b) => [a?.seq, b?.seq],
    )
    .uid('pairs')
    .to(toArray())
    .run({ state: levelState(state, { memory: 1 }), checkpointEvery: { records: 1 } });
}

/**
 * A lookup join `rates` of rides in a versioned table of rates by zone, both sources fed by the
 * test, its state resident behind a 1-byte cache, checkpointing after every record. It wrote
 * `fixtures/resident-unversioned/lookup`.
 */
export function runRates(state: string, rows = new PausedSource<Row>(), rides = new PausedSource<Ride>()) {
  return from(rides)
    .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
    .lookup(
      table(
        from(rows).withTimestamps((r) => r.at, boundedOutOfOrderness(0)),
        (r) => r.zone,
      ),
      (r) => r.zone,
      (ride, row: Row | null) => [ride.at, row?.rate ?? null],
    )
    .uid('rates')
    .to(toArray())
    .run({ state: levelState(state, { memory: 1 }), checkpointEvery: { records: 1 } });
}
