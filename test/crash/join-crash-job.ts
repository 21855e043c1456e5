/**
 * The job the join crash test kills: orders of two regions merged with `union`, left-joined with
 * payments, totalled per customer and second by a keyed process function (`ordersWithPayments`),
 * read from three JSONL files, state in LevelDB, results and dead letters upserted into LevelDB
 * tables. Run as
 * `node --import tsx test/crash/join-crash-job.ts <ordersA> <ordersB> <payments> <stateDir> <tableDir> <deadDir>`.
 * It prints `ready` when the pipeline starts, `restored <checkpoint id>` after a restore,
 * `checkpoint <id>` as checkpoints complete, and
 * `done <restoredFrom> <records> <late> <deadLetters>` when the inputs are consumed.
 */
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { toLevel } from '../../src/sinks/level-sink.js';
import { fromJsonl } from '../../src/sources/jsonl-source.js';
import { ordersWithPayments, type Order, type Payment } from '../joins/orders-payments.js';
import { crashJobRunOptions } from './crash-job-options.js';

const [ordersA, ordersB, payments, stateDir, tableDir, deadDir] = process.argv.slice(2);
if (!ordersA || !ordersB || !payments || !stateDir || !tableDir || !deadDir) {
  console.error('usage: join-crash-job.ts <ordersA> <ordersB> <payments> <stateDir> <tableDir> <deadDir>');
  process.exit(2);
}

const job = ordersWithPayments(fromJsonl<Order>(ordersA), fromJsonl<Order>(ordersB), fromJsonl<Payment>(payments), '1s')
  .deadLetters(toLevel<DeadLetter>(deadDir, { sync: false, idOf: (d) => `${d.position?.partition}:${d.position?.offset}` }))
  .to(toLevel(tableDir, { sync: false }))
  .run(crashJobRunOptions(stateDir));

process.stdout.write('ready\n');
const summary = await job;
process.stdout.write(`done ${summary.restoredFrom ?? 0} ${summary.records} ${summary.late} ${summary.deadLetters}\n`);
