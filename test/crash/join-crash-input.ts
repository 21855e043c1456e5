import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Order, Payment } from '../joins/orders-payments.js';
import { seededRandom } from './job-process.js';

/** The join crash job's three inputs. */
export interface JoinCrashInput {
  ordersA: string;
  ordersB: string;
  payments: string;
  /** The records the files hold, without their unreadable lines. */
  orders: Order[];
  paymentRecords: Payment[];
  /** Lines that do not parse: dead letters. */
  unreadable: number;
}

/**
 * Writes `count` lines over three JSONL files in `dir`: orders of region A (35%) and region B (25%)
 * and payments (40%), 30 customers, times 5 ms apart with up to 1 s of disorder (what the job's
 * watermark allows for: no record is late), and 0.2% of lines that do not parse.
 */
export async function writeJoinCrashInput(dir: string, count: number, seed = 11): Promise<JoinCrashInput> {
  const rnd = seededRandom(seed);
  const files = { ordersA: [] as string[], ordersB: [] as string[], payments: [] as string[] };
  const orders: Order[] = [];
  const paymentRecords: Payment[] = [];
  let unreadable = 0;
  for (let i = 0; i < count; i++) {
    const draw = rnd();
    const file = draw < 0.35 ? files.ordersA : draw < 0.6 ? files.ordersB : files.payments;
    if (rnd() < 0.002) {
      file.push(`{"id": "broken-${i}", `);
      unreadable++;
      continue;
    }
    const customer = `c-${Math.floor(rnd() * 30)}`;
    const t = 1_700_000_000_000 + i * 5 - Math.floor(rnd() * 1000);
    const value = Math.floor(rnd() * 1000);
    if (file === files.payments) {
      const payment: Payment = { id: `p-${i}`, customer, t, paid: value };
      paymentRecords.push(payment);
      file.push(JSON.stringify(payment));
    } else {
      const order: Order = { id: `o-${i}`, customer, t, amount: value };
      orders.push(order);
      file.push(JSON.stringify(order));
    }
  }
  const paths = { ordersA: join(dir, 'orders-a.jsonl'), ordersB: join(dir, 'orders-b.jsonl'), payments: join(dir, 'payments.jsonl') };
  for (const name of ['ordersA', 'ordersB', 'payments'] as const) await writeFile(paths[name], files[name].join('\n') + '\n');
  return { ...paths, orders, paymentRecords, unreadable };
}
