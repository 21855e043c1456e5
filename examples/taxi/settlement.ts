import { nyNaiveToEpoch, parseNaiveTimestamp } from './ny-time.js';

/** A card-payment settlement event as the payment processor sends it (one JSON line). */
export interface RawSettlement {
  /** The Silver `trip_id` of the trip paid for. */
  trip_id: string;
  /** When the payment settled: naive New York time, `"2024-01-01T01:25:12"`, as the trip feed writes times. */
  settled_at: string;
  /** Amount charged, dollars. */
  amount: number | null;
  /** Tip included in it, dollars. */
  tip_amount: number | null;
}

/** A parsed settlement with its event time. */
export interface Settlement extends RawSettlement {
  /** `settled_at` read in America/New_York, epoch ms: the settlement's event time. */
  settled_ts: number;
}

/** What parsing makes of one raw settlement record: a settlement, or why not. */
export type SettlementResult = { ok: true; settlement: Settlement } | { ok: false; reason: string };

/**
 * One settlement as its compact JSON line.
 *
 * @param s - the settlement.
 * @returns one JSON line, without a newline.
 * @example settlementLine({ trip_id: 'ab…', settled_at: '2024-01-01T01:25:12', amount: 22.7, tip_amount: 3.5 });
 */
export function settlementLine(s: RawSettlement): string {
  return JSON.stringify({ trip_id: s.trip_id, settled_at: s.settled_at, amount: s.amount, tip_amount: s.tip_amount });
}

/**
 * Parses a raw settlement record (a JSON line or a decoded object), with Bronze's rules: a
 * non-empty string `trip_id`, a real naive timestamp `settled_at`, amounts that are numbers or null.
 *
 * @param raw - a JSON text line or a decoded object.
 * @returns `{ ok: true, settlement }` or `{ ok: false, reason }`.
 * @example
 * const r = parseSettlement('{"trip_id":"ab…","settled_at":"2024-01-01T01:25:12","amount":22.7,"tip_amount":3.5}');
 * if (r.ok) console.log(r.settlement.settled_ts);
 */
export function parseSettlement(raw: unknown): SettlementResult {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      return { ok: false, reason: `broken JSON: ${(error as Error).message}` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  if (typeof o.trip_id !== 'string' || o.trip_id.length === 0) return { ok: false, reason: 'missing trip_id' };
  const naive = typeof o.settled_at === 'string' ? parseNaiveTimestamp(o.settled_at) : null;
  if (naive === null) return { ok: false, reason: `bad timestamp: settled_at = ${JSON.stringify(o.settled_at)}` };
  for (const column of ['amount', 'tip_amount'] as const) {
    const v = o[column];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isFinite(v))) {
      return { ok: false, reason: `wrong type: ${column} must be a number or null, got ${JSON.stringify(v)}` };
    }
  }
  return {
    ok: true,
    settlement: {
      trip_id: o.trip_id,
      settled_at: o.settled_at as string,
      amount: (o.amount as number | undefined) ?? null,
      tip_amount: (o.tip_amount as number | undefined) ?? null,
      settled_ts: nyNaiveToEpoch(naive),
    },
  };
}
