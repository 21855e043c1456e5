import type { Source } from '../../src/core/source.js';
import { from, union, type Stream } from '../../src/pipeline/stream.js';
import { mapState, valueState } from '../../src/process/state-descriptors.js';
import { batchIntervalJoin } from '../../src/testing/batch-interval-join.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';

/**
 * A pipeline over the three stateful steps that must survive restores and crashes together: orders
 * of two regions merged with `union`, a left interval join with payments, and a keyed process
 * function (map and value state, event-time timers) that totals each customer's joined orders per
 * second of event time. The crash test runs it over JSONL files and the restore property over
 * arrays; {@link expectedSeconds} is its batch answer.
 */

export interface Order {
  id: string;
  customer: string;
  t: number;
  amount: number;
}

export interface Payment {
  id: string;
  customer: string;
  t: number;
  paid: number;
}

/** One result of the join: an order with one of its payments, or with none. */
export interface PaidOrder {
  order: string;
  payment: string | null;
  amount: number;
  paid: number;
}

/** What the process function emits for a customer and a second in which the join gave results. */
export interface CustomerSecond {
  /** `<customer>@<second start>`: the row id in a result table. */
  id: string;
  customer: string;
  second: number;
  /** Order–payment pairs. */
  pairs: number;
  /** Orders no payment came for. */
  unpaid: number;
  amount: number;
  paid: number;
  /** How many earlier seconds of the customer were emitted: a value state carried across timers. */
  index: number;
}

/** A payment joins an order made up to 400 ms before it or 200 ms after it. */
export const PAYMENT_WITHIN = { before: 200, after: 400 } as const;
export const SECOND = 1000;

type Totals = Pick<CustomerSecond, 'pairs' | 'unpaid' | 'amount' | 'paid'>;

const pay = (order: Order, payment: Payment | null): PaidOrder => ({
  order: order.id,
  payment: payment?.id ?? null,
  amount: order.amount,
  paid: payment?.paid ?? 0,
});

/**
 * `union(ordersA, ordersB)` left-joined with `payments` by customer, then per customer and second:
 * each joined order adds to a map-state entry of its second and sets a timer at the second's last
 * millisecond; the timer emits the entry and removes it. Event time comes from `t`, with
 * `boundedOutOfOrderness(delay)` on every source.
 */
export function ordersWithPayments(
  ordersA: Source<Order>,
  ordersB: Source<Order>,
  payments: Source<Payment>,
  delay: number | string,
): Stream<CustomerSecond, null> {
  const orders = union(
    from(ordersA).withTimestamps((o) => o.t, boundedOutOfOrderness(delay)),
    from(ordersB).withTimestamps((o) => o.t, boundedOutOfOrderness(delay)),
  ).keyBy((o) => o.customer);
  const paid = from(payments)
    .withTimestamps((p) => p.t, boundedOutOfOrderness(delay))
    .keyBy((p) => p.customer);
  const states = { seconds: mapState<number, Totals>(), emitted: valueState<number>() };
  return orders
    .join(paid, { within: PAYMENT_WITHIN, kind: 'left' }, pay)
    .uid('paid-orders')
    .process<typeof states, CustomerSecond>({
      state: states,
      onRecord(joined, ctx) {
        const second = Math.floor(ctx.timestamp / SECOND) * SECOND;
        const totals = ctx.state.seconds.get(second) ?? { pairs: 0, unpaid: 0, amount: 0, paid: 0 };
        ctx.state.seconds.set(second, {
          pairs: totals.pairs + (joined.payment === null ? 0 : 1),
          unpaid: totals.unpaid + (joined.payment === null ? 1 : 0),
          amount: totals.amount + joined.amount,
          paid: totals.paid + joined.paid,
        });
        ctx.timers.atEventTime(second + SECOND - 1);
      },
      onTimer(time, ctx) {
        const second = time - SECOND + 1;
        const totals = ctx.state.seconds.get(second);
        if (totals === undefined) throw new Error(`no totals for ${ctx.key} at ${second}`);
        const index = ctx.state.emitted.get() ?? 0;
        ctx.emit({ id: `${ctx.key}@${second}`, customer: ctx.key, second, ...totals, index });
        ctx.state.seconds.delete(second);
        ctx.state.emitted.set(index + 1);
      },
    })
    .uid('customer-seconds');
}

/**
 * The batch answer of {@link ordersWithPayments} for inputs without late records: the oracle
 * `batchIntervalJoin`, then the totals of each customer and second, numbered per customer in time
 * order. Sorted by id.
 */
export function expectedSeconds(orders: readonly Order[], payments: readonly Payment[]): CustomerSecond[] {
  const joined = batchIntervalJoin(orders, payments, {
    within: PAYMENT_WITHIN,
    kind: 'left',
    leftKey: (o) => o.customer,
    rightKey: (p) => p.customer,
    leftTime: (o) => o.t,
    rightTime: (p) => p.t,
  });
  const byCustomer = new Map<string, Map<number, Totals>>();
  for (const { left, right, time } of joined) {
    const { customer } = left!;
    const seconds = byCustomer.get(customer) ?? new Map<number, Totals>();
    byCustomer.set(customer, seconds);
    const second = Math.floor(time / SECOND) * SECOND;
    const totals = seconds.get(second) ?? { pairs: 0, unpaid: 0, amount: 0, paid: 0 };
    const result = pay(left!, right);
    seconds.set(second, {
      pairs: totals.pairs + (right ? 1 : 0),
      unpaid: totals.unpaid + (right ? 0 : 1),
      amount: totals.amount + result.amount,
      paid: totals.paid + result.paid,
    });
  }
  const rows: CustomerSecond[] = [];
  for (const [customer, seconds] of byCustomer) {
    [...seconds.keys()]
      .sort((a, b) => a - b)
      .forEach((second, index) => rows.push({ id: `${customer}@${second}`, customer, second, ...seconds.get(second)!, index }));
  }
  return rows.sort(byId);
}

/** Orders rows by id, as a result table iterates them. */
export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
