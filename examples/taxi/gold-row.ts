/** Half-open window `[start, end)` in epoch ms, as streamkit's window results carry it. */
export interface GoldWindow {
  start: number;
  end: number;
}

/**
 * One Gold result: a window (and key, for keyed windows) with named values. Streamkit's window
 * sinks emit `{ key, window, value, pane, … }`; batch Gold emits the same shape, so the two
 * compare row by row.
 */
export interface GoldRow {
  key?: string | number | null;
  window: GoldWindow;
  value: Record<string, number | null>;
  /** Present on streaming results; the last pane of a window is its final answer. */
  pane?: { index: number };
}

/** How a Gold column is compared: counts exactly, money to the cent, averages within a tolerance. */
export type GoldFieldKind = 'count' | 'money' | 'average';

/** The kind of every daily-summary and hourly-pattern column. */
export const GOLD_FIELD_KINDS: Readonly<Record<string, GoldFieldKind>> = {
  total_trips: 'count',
  total_passengers: 'count',
  card_trips: 'count',
  cash_trips: 'count',
  total_revenue: 'money',
  total_fare: 'money',
  total_tips: 'money',
  avg_distance_miles: 'average',
  avg_duration_minutes: 'average',
  avg_speed_mph: 'average',
  avg_tip_percentage: 'average',
};
