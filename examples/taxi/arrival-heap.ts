/** A record waiting in the generator's reorder buffer until its arrival time. */
export interface Pending<T> {
  /** Naive New York time the record arrives. */
  arrivalNaive: number;
  /** Order of generation: breaks ties between equal arrival times, so the output is deterministic. */
  seq: number;
  item: T;
}

/**
 * Binary min-heap on (arrival, seq): the reorder buffer between event order and arrival order.
 * Popping everything up to a time `t` once nothing generated later can arrive before `t` gives
 * the records in arrival order, lazily.
 */
export class ArrivalHeap<T> {
  private readonly items: Pending<T>[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Pending<T> | undefined {
    return this.items[0];
  }
  private less(a: Pending<T>, b: Pending<T>): boolean {
    return a.arrivalNaive < b.arrivalNaive || (a.arrivalNaive === b.arrivalNaive && a.seq < b.seq);
  }
  push(p: Pending<T>): void {
    const h = this.items;
    let i = h.length;
    h.push(p);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(p, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = p;
  }
  pop(): Pending<T> | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && this.less(h[l + 1], h[l]) ? l + 1 : l;
        if (!this.less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /** Pops, in arrival order, every record arriving at or before `until`. */
  *popUntil(until: number): Generator<Pending<T>> {
    for (let top = this.peek(); top !== undefined && top.arrivalNaive <= until; top = this.peek()) {
      this.pop();
      yield top;
    }
  }
}
