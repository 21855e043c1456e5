/** One pending firing: at event or processing time `time`, do `kind` to `ref`. */
export interface Timer<R> {
  time: number;
  /** Ties at one time run in ascending kind order (a window's on-time pane before its expiry). */
  kind: number;
  seq: number;
  ref: R;
}

/**
 * The one timer queue of streamkit's operators: a binary min-heap of timers ordered by (time,
 * kind, insertion order), so a watermark or a clock tick touches only what is due: windows that
 * fire or expire, sliding-window timestamps to forget, dedup's expiry buckets. Stale timers (a
 * window merged away or already fired) are skipped by the caller rather than removed, which keeps
 * every operation O(log n). Timers are derived state: operators rebuild them from their keyed
 * state on restore.
 * @example
 * const heap = new TimerHeap<string>();
 * heap.push(10, 0, 'a');
 * heap.peekTime(); // 10
 */
export class TimerHeap<R> {
  private readonly items: Timer<R>[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(time: number, kind: number, ref: R): void {
    const items = this.items;
    const t: Timer<R> = { time, kind, seq: this.seq++, ref };
    let i = items.length;
    items.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(t, items[p])) break;
      items[i] = items[p];
      i = p;
    }
    items[i] = t;
  }

  /** The earliest time, or `+Infinity` when empty. */
  peekTime(): number {
    return this.items.length === 0 ? Infinity : this.items[0].time;
  }

  pop(): Timer<R> | undefined {
    const items = this.items;
    const n = items.length;
    if (n === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (n > 1) {
      let i = 0;
      const m = n - 1;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        const c = r < m && before(items[r], items[l]) ? r : l;
        if (!before(items[c], last)) break;
        items[i] = items[c];
        i = c;
      }
      items[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Visits every pending timer's `ref`, in no particular order (to snapshot what they point at). */
  forEachRef(visit: (ref: R) => void): void {
    for (const item of this.items) visit(item.ref);
  }
}

function before<R>(a: Timer<R>, b: Timer<R>): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.kind !== b.kind) return a.kind < b.kind;
  return a.seq < b.seq;
}
